"""Bodies (council, commissions): the one rule for finding a body by its name."""

from __future__ import annotations

from sqlalchemy import func, select

from hearings.models import Body
from hearings.models.base import DbSession


def body_named(session: DbSession, name: str, create: bool = True) -> Body | None:
    """Return the body with this name in any case, adding it if asked; None for a blank name.

    Uploads and the Legistar import both use this, so a clerk's "common council" and
    Legistar's "Common Council" are one body.
    """
    name = " ".join((name or "").split())
    if not name:
        return None
    body = session.scalars(
        select(Body).where(func.lower(Body.name) == name.lower()).order_by(Body.id)
    ).first()
    if body is None and create:
        body = Body(name=name)
        session.add(body)
    return body
