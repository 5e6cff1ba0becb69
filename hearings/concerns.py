"""Concerns: each matter's vocabulary of what testimony raised ("racial bias", "cost")."""

from __future__ import annotations

from collections.abc import Iterable

from hearings.audit import audited, audited_delete
from hearings.errors import Conflict, Refused, clean_field
from hearings.models import Concern, Matter
from hearings.models.base import DbSession


def concerns_for(matter: Matter, concern_ids: Iterable[int]) -> list[Concern]:
    """Return the matter's concerns with these ids; others are refused, not ignored."""
    wanted = {int(i) for i in concern_ids}
    chosen = [c for c in matter.concerns if c.id in wanted]
    if len(chosen) != len(wanted):
        raise Refused("A chosen concern is not in this matter's list of concerns.")
    return chosen


def add_concern(session: DbSession, user, matter: Matter, name: str) -> Concern:
    """Add a concern to the matter's vocabulary."""
    name = clean_field(name, 100, "A concern")
    if not name:
        raise Refused("Type the concern, for example “racial bias”.")
    if any(c.name.casefold() == name.casefold() for c in matter.concerns):
        raise Conflict(f"“{name}” is already a concern on this matter.")
    concern = Concern(matter=matter, name=name)
    with audited(session, user, "concern.create", concern, _concern_state):
        session.add(concern)
    return concern


def remove_concern(session: DbSession, user, concern: Concern) -> None:
    """Remove an unused concern from its matter's vocabulary."""
    if concern.testimonies:
        count = len(concern.testimonies)
        raise Conflict(
            f"“{concern.name}” is raised in {count} testimon{'y' if count == 1 else 'ies'}; "
            "untag them before removing it."
        )
    audited_delete(session, user, "concern.delete", concern, _concern_state)


def _concern_state(concern: Concern) -> dict:
    return {"matter_id": concern.matter_id, "name": concern.name}
