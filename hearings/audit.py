"""Changes to the record written to the audit log the same way everywhere.

Three verbs cover every clerk's change: a row is created, changed or deleted. Each takes a
``state`` function that returns the parts of the row the entry keeps, so the entry's "before"
and "after" always have the same shape. The caller's transaction holds the entry with the
change; neither is ever committed without the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from hearings.models.audit import record
from hearings.models.base import DbSession

Row = TypeVar("Row")
State = Callable[[Any], dict | None]


@contextmanager
def audited(
    session: DbSession,
    user: Any,
    action: str,
    row: Row,
    state: State,
    *,
    hearing_id: int | None = None,
    skip_unchanged: bool = False,
) -> Iterator[Row]:
    """Log ``action`` on ``row`` with its state before and after the block; the caller commits.

    A row not yet stored has no "before". The row is flushed after the block, so that a row
    created in it has its id for the entry.

    Args:
        skip_unchanged: write no entry when the block left the state as it was.
    """
    before = state(row) if getattr(row, "id", None) is not None else None
    yield row
    session.flush()
    after = state(row)
    if skip_unchanged and after == before:
        return
    record(session, user, action, row, before, after, hearing_id=hearing_id)


def audit_created(
    session: DbSession,
    user: Any,
    action: str,
    row: Any,
    state: State,
    *,
    hearing_id: int | None = None,
) -> None:
    """Log a row made elsewhere (a lookup that adds what it does not find); it is flushed."""
    session.flush()
    record(session, user, action, row, None, state(row), hearing_id=hearing_id)


def audited_delete(
    session: DbSession,
    user: Any,
    action: str,
    row: Any,
    state: State,
    *,
    hearing_id: int | None = None,
) -> None:
    """Delete ``row``, keeping in the log what it was (the log is how a deletion is undone)."""
    record(session, user, action, row, before=state(row), hearing_id=hearing_id)
    session.delete(row)
    session.flush()
