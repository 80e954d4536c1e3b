"""The encrypted columns in the ORM: seal on flush, open on load.

A column made with `sealed_column()` holds what would endanger someone if the database leaked.
ORM events seal its values on INSERT and UPDATE and open them on load, so that the application
only ever holds plaintext and the database only ever ciphertext; NULL stays NULL. The keyring
travels in `Session.info` (`session_info`, `make_session_factory`); a session without one refuses
to load or store sealed columns. A query that selects a sealed column on its own
(`select(Report.notes)`) bypasses the events and gets the ciphertext: select whole entities, or
pass the values through `open_columns`.
"""

import logging
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Engine, Table, Text, event, inspect
from sqlalchemy.orm import MappedColumn, Mapper, Session, mapped_column, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.state import InstanceState

from app.core.models import Base, new_id
from app.core.problems import Unreadable
from app.crypto.keyring import Keyring

log = logging.getLogger("ridni.keys")

_KEYRING = "ridni.keyring"
_PLAIN = "ridni.plaintext"  # InstanceState.info: what a flush sealed, restored after it


def sealed_column() -> MappedColumn[Any]:
    """A nullable column stored encrypted (Text: the ciphertext is longer than the plaintext,
    whose length the input schemas bound)."""
    return mapped_column(Text, info={"sealed": True})


def session_info(keyring: Keyring) -> dict[str, Any]:
    """`info=` for a Session or sessionmaker whose sessions read and write sealed columns."""
    return {_KEYRING: keyring}


def make_session_factory(engine: Engine, keyring: Keyring) -> sessionmaker[Session]:
    """Sessions that seal and open the encrypted columns with `keyring`."""
    return sessionmaker(bind=engine, expire_on_commit=False, info=session_info(keyring))


def keyring_of(session: Session | None) -> Keyring:
    keyring = session.info.get(_KEYRING) if session is not None else None
    if not isinstance(keyring, Keyring):
        raise RuntimeError("this session has no keyring: make it with orm.session_info()")
    return keyring


_SEALED: dict[Mapper[Any], tuple[tuple[str, str], ...]] = {}


def _table_name(mapper: Mapper[Any]) -> str:
    return cast(Table, mapper.local_table).name


def _sealed(mapper: Mapper[Any]) -> tuple[tuple[str, str], ...]:
    """(attribute, column name) of each sealed column of a mapped class."""
    if mapper not in _SEALED:
        _SEALED[mapper] = tuple(
            (prop.key, prop.columns[0].name)
            for prop in mapper.column_attrs
            if prop.columns[0].info.get("sealed")
        )
    return _SEALED[mapper]


def _opened(keyring: Keyring, stored: str, *, table: str, record_id: str, column: str) -> str:
    try:
        return keyring.open(stored, table=table, record_id=record_id, column=column)
    except Unreadable as error:
        log.error("cannot decrypt %s.%s of record %s: %s", table, column, record_id, error.reason)
        raise


def open_columns(
    session: Session, *, table: str, record_id: str, values: Mapping[str, str | None]
) -> dict[str, str | None]:
    """Sealed values a query selected as plain columns (the events only see whole entities),
    opened: {column name: plaintext}. A value that does not open is logged and raised."""
    keyring = keyring_of(session)
    return {
        column: None
        if stored is None
        else _opened(keyring, stored, table=table, record_id=record_id, column=column)
        for column, stored in values.items()
    }


def _open_loaded(state: InstanceState[Any], session: Session, attrs: Any) -> None:
    sealed = _sealed(state.mapper)
    if not sealed:
        return
    keyring = keyring_of(session)
    table = _table_name(state.mapper)
    record_id = str(state.identity[0]) if state.identity else "?"
    for key, column in sealed:
        stored = state.dict.get(key)
        if stored is None or (attrs is not None and key not in attrs):
            continue
        plaintext = _opened(keyring, stored, table=table, record_id=record_id, column=column)
        set_committed_value(state.obj(), key, plaintext)


@event.listens_for(Base, "load", propagate=True)
def _on_load(target: Any, context: Any) -> None:
    _open_loaded(inspect(target), context.session, None)


@event.listens_for(Base, "refresh", propagate=True)
def _on_refresh(target: Any, context: Any, attrs: Any) -> None:
    if context is None:
        # A bulk UPDATE wrote these attributes from Python values ("evaluate" synchronisation):
        # nothing was read from the database, so there is nothing to open.
        return
    _open_loaded(inspect(target), context.session, attrs)


def _seal_for_flush(mapper: Mapper[Any], target: Any, *, inserting: bool) -> None:
    sealed = _sealed(mapper)
    if not sealed:
        return
    state: InstanceState[Any] = inspect(target)
    keyring = keyring_of(state.session)
    if inserting and target.id is None:
        target.id = new_id()  # the associated data needs the id before the INSERT makes one
    plaintexts = {}
    for key, column in sealed:
        if not inserting and not state.attrs[key].history.has_changes():
            continue
        value = state.dict.get(key)
        if value is None:
            continue
        plaintexts[key] = value
        setattr(
            target,
            key,
            keyring.seal(value, table=_table_name(mapper), record_id=target.id, column=column),
        )
    if plaintexts:
        state.info[_PLAIN] = plaintexts


def _restore_plaintext(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    state: InstanceState[Any] = inspect(target)
    for key, value in state.info.pop(_PLAIN, {}).items():
        set_committed_value(target, key, value)


@event.listens_for(Base, "before_insert", propagate=True)
def _on_insert(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    _seal_for_flush(mapper, target, inserting=True)


@event.listens_for(Base, "before_update", propagate=True)
def _on_update(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    _seal_for_flush(mapper, target, inserting=False)


event.listen(Base, "after_insert", _restore_plaintext, propagate=True)
event.listen(Base, "after_update", _restore_plaintext, propagate=True)
