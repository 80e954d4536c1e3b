"""The service's password hashes: argon2id with the RFC 9106 low-memory parameters.

The rest of the suite hashes with the cheapest argon2id parameters (tests/conftest.py), so that
its hundreds of enrolments and sign-ins cost little CPU; these tests put the standard hasher
back and go through a real enrolment and sign-in with it.
"""

from collections.abc import Iterator

import pytest
from argon2 import Type, extract_parameters, profiles
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.security import Role
from app.users import credentials
from app.users.models import Credentials
from tests.app.console.helpers import PASSWORD, enrolled
from tests.conftest import CHEAP_PASSWORD_HASHER


@pytest.fixture
def standard_hashing() -> Iterator[None]:
    credentials.hash_passwords_with(credentials.STANDARD_HASHER)
    yield
    credentials.hash_passwords_with(CHEAP_PASSWORD_HASHER)


def stored_hash(session: Session, user_id: str) -> str:
    return session.scalars(
        select(Credentials.password_hash).where(Credentials.user_id == user_id)
    ).one()


def test_the_service_hashes_with_argon2id_and_the_rfc_9106_low_memory_parameters():
    parameters = credentials.STANDARD_HASHER.hash(PASSWORD)
    assert extract_parameters(parameters) == profiles.RFC_9106_LOW_MEMORY
    assert profiles.RFC_9106_LOW_MEMORY.type is Type.ID


def test_an_enrolment_stores_a_standard_hash_and_signs_in_with_it(
    session: Session, standard_hashing: None
):
    reviewer = enrolled(session, name="Olena", role=Role.coordinator, login="olena")
    stored = stored_hash(session, reviewer.user_id)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in stored

    signed = credentials.sign_in(
        session, login=reviewer.login, password=PASSWORD, code=reviewer.code()
    )
    assert signed.outcome is credentials.SignInOutcome.signed_in
    assert stored_hash(session, reviewer.user_id) == stored


def test_a_hash_with_weaker_parameters_is_replaced_at_the_next_sign_in(
    session: Session, standard_hashing: None
):
    credentials.hash_passwords_with(CHEAP_PASSWORD_HASHER)
    reviewer = enrolled(session, name="Olena", role=Role.coordinator, login="olena")
    assert extract_parameters(stored_hash(session, reviewer.user_id)).memory_cost == 8
    credentials.hash_passwords_with(credentials.STANDARD_HASHER)

    signed = credentials.sign_in(
        session, login=reviewer.login, password=PASSWORD, code=reviewer.code()
    )
    assert signed.outcome is credentials.SignInOutcome.signed_in
    rehashed = stored_hash(session, reviewer.user_id)
    assert extract_parameters(rehashed) == profiles.RFC_9106_LOW_MEMORY
    assert credentials.STANDARD_HASHER.verify(rehashed, PASSWORD)
