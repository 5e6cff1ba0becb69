"""Agenda items: which matters a hearing took up, and when in its recording."""

from __future__ import annotations

from sqlalchemy import select

from hearings.audit import audited, audited_delete
from hearings.errors import Refused, clean_field
from hearings.models import AgendaItem, Hearing, Matter
from hearings.models.base import DbSession


def _item_state(item: AgendaItem) -> dict:
    return {"matter_id": item.matter_id, "start_ms": item.start_ms, "end_ms": item.end_ms}


def _times_state(item: AgendaItem) -> dict:
    return {"start_ms": item.start_ms, "end_ms": item.end_ms}


def link_agenda_item(
    session: DbSession,
    user,
    hearing: Hearing,
    matter: Matter,
    start_ms: int | None,
    end_ms: int | None,
    title: str | None = None,
) -> AgendaItem:
    """Record that a matter was heard in the hearing between two times of its recording."""
    _check_range(hearing, start_ms, end_ms)
    sequence = 1 + max((a.sequence for a in _agenda(session, hearing)), default=0)
    item = AgendaItem(
        hearing=hearing,
        matter=matter,
        start_ms=start_ms,
        end_ms=end_ms,
        sequence=sequence,
        title=clean_field(title, 2000, "The title") or None,
    )
    with audited(session, user, "agenda_item.create", item, _item_state, hearing_id=hearing.id):
        session.add(item)
    return item


def set_agenda_times(
    session: DbSession, user, item: AgendaItem, start_ms: int | None, end_ms: int | None
) -> AgendaItem:
    """Change when in the recording an agenda item was heard."""
    _check_range(item.hearing, start_ms, end_ms)
    with audited(
        session, user, "agenda_item.times", item, _times_state, hearing_id=item.hearing_id
    ):
        item.start_ms, item.end_ms = start_ms, end_ms
    return item


def remove_agenda_item(session: DbSession, user, item: AgendaItem) -> None:
    """Unlink a matter from a hearing's agenda."""
    audited_delete(
        session, user, "agenda_item.delete", item, _item_state, hearing_id=item.hearing_id
    )


def _agenda(session: DbSession, hearing: Hearing) -> list[AgendaItem]:
    return list(session.scalars(select(AgendaItem).where(AgendaItem.hearing_id == hearing.id)))


def _check_range(hearing: Hearing, start_ms: int | None, end_ms: int | None) -> None:
    if start_ms is None:
        raise Refused("Give the time the matter was taken up, as h:mm:ss.")
    if end_ms is not None and end_ms <= start_ms:
        raise Refused("The end time must be after the start time.")
    duration = hearing.recording.duration_ms if hearing.recording else None
    if duration is None and hearing.segments:
        duration = hearing.segments[-1].end_ms
    if duration is not None and (start_ms > duration or (end_ms or 0) > duration + 1000):
        raise Refused("That time is past the end of the recording.")


def agenda_for_hearing(session: DbSession, hearing: Hearing) -> list[AgendaItem]:
    """Return the hearing's agenda items in order of when they were heard."""
    items = _agenda(session, hearing)
    return sorted(items, key=lambda a: (a.start_ms is None, a.start_ms or 0, a.sequence))
