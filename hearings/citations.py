"""Quotes a journalist can cite: the segment at a moment, and its citation text."""

from __future__ import annotations

from sqlalchemy import select

from hearings.exports import speaker_name
from hearings.models import Hearing, Segment
from hearings.models.base import DbSession
from hearings.timecodes import clock


def segment_at(session: DbSession, hearing: Hearing, ms: int) -> Segment | None:
    """Return the segment being spoken at ms, else the next one, else the last one."""
    base = select(Segment).where(Segment.hearing_id == hearing.id)
    found = session.scalars(
        base.where(Segment.start_ms <= ms, Segment.end_ms > ms).order_by(Segment.start_ms.desc())
    ).first()
    found = (
        found
        or session.scalars(base.where(Segment.start_ms >= ms).order_by(Segment.start_ms)).first()
    )
    return found or session.scalars(base.order_by(Segment.start_ms.desc())).first()


def speaker_credit(segment: Segment) -> str | None:
    """Return "Name, Title (Organization)" for a confirmed speaker, or the label."""
    speaker = segment.speaker
    if speaker is None:
        return None
    person = speaker.person
    if person is None:
        return speaker_name(segment)
    credit = person.display
    if person.organization and person.organization.name not in credit:
        credit += f" ({person.organization.name})"
    return credit


def citation_text(segment: Segment, url: str) -> str:
    """Return ready-to-paste citation text for a quote."""
    hearing = segment.hearing
    who = speaker_credit(segment)
    quote = " ".join(segment.text.split())
    parts = [f"“{quote}”"]
    if who:
        parts.append(f"— {who},")
    parts.append(
        f"{hearing.title}, {hearing.body.name}, {hearing.date.strftime('%B %-d, %Y')}, "
        f"at {clock(segment.start_ms)} (machine transcript). {url}"
    )
    return " ".join(parts)
