"""encrypted columns: reporter contact, circumstances, a sighting's notes and source

The columns become Text (a ciphertext is longer than its plaintext, whose length the input schemas
still bound). Values already stored are marked `v0:` (not sealed yet); the service seals them under
the current key when it starts (app/crypto/maintenance.py: open_keyring), so no key is ever needed
here. Downgrading turns values still marked `v0:` back into plain text; values already sealed stay
sealed (the earlier code cannot read them: restore a backup taken before the upgrade instead), and
on PostgreSQL the narrowing refuses a value that no longer fits rather than cut it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The encrypted columns, and the type each had before (those already Text stay Text).
SEALED = {
    "reports": {
        "circumstances": None,
        "reporter_name": sa.String(length=200),
        "reporter_relationship": sa.String(length=500),
        "reporter_phone": sa.String(length=500),
        "reporter_email": sa.String(length=500),
    },
    "sightings": {
        "notes": None,
        "source_contact": sa.String(length=500),
        "source_details": None,
    },
}


def upgrade() -> None:
    for table, columns in SEALED.items():
        with op.batch_alter_table(table) as batch_op:
            for column, before in columns.items():
                if before is not None:
                    batch_op.alter_column(
                        column, existing_type=before, type_=sa.Text(), existing_nullable=True
                    )
        for column in columns:
            op.execute(
                # Names from SEALED above, not from input.
                f"UPDATE {table} SET {column} = 'v0:' || {column} WHERE {column} IS NOT NULL"  # noqa: S608
            )


def downgrade() -> None:
    for table, columns in SEALED.items():
        for column in columns:
            op.execute(
                f"UPDATE {table} SET {column} = substr({column}, 4) WHERE {column} LIKE 'v0:%'"  # noqa: S608
            )
        with op.batch_alter_table(table) as batch_op:
            for column, before in columns.items():
                if before is not None:
                    batch_op.alter_column(
                        column, existing_type=sa.Text(), type_=before, existing_nullable=True
                    )
