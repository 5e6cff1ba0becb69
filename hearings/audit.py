"""Changes to the record written to the audit log the same way everywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from hearings.models.audit import record

Row = TypeVar("Row")


@contextmanager
def audited(
    session: Session,
    user: Any,
    action: str,
    row: Row,
    state: Callable[[Row], dict | None],
    *,
    hearing_id: int | None = None,
) -> Iterator[Row]:
    """Log ``action`` on ``row`` with its state before and after the block; the caller commits.

    ``state`` returns the parts of the row the entry keeps. The row is flushed first, so that a
    row created in the block has its id for the entry.
    """
    before = state(row) if getattr(row, "id", None) is not None else None
    yield row
    session.flush()
    record(session, user, action, row, before, state(row), hearing_id=hearing_id)
