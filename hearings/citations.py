"""Quotes a journalist can cite: a range of the recording, its current words, what changed.

A quote link names a time range, not a row: corrections split, join and re-time lines, and a
new machine transcript replaces them, but the range still opens the words said there, with a
note when they were corrected after the link was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from hearings.exports import speaker_name
from hearings.models import Hearing, LineRevision, Segment
from hearings.models.base import DbSession
from hearings.timecodes import clock

# Revisions the public corrections log lists (a new machine transcript is not a correction).
CORRECTION_KINDS = ("words", "split", "merge", "times", "speaker", "language")
WITHHELD = "(withheld: this part of the hearing is redacted)"


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


def lines_in_range(session: DbSession, hearing: Hearing, start_ms: int, end_ms: int):
    """Return the lines a quote of [start_ms, end_ms) shows: those mostly inside it.

    A line counts when at least half of it lies in the range, or when it holds the range
    (a quote of a few words inside one long line).
    """
    candidates = session.scalars(
        select(Segment)
        .where(
            Segment.hearing_id == hearing.id,
            Segment.start_ms < end_ms,
            Segment.end_ms > start_ms,
        )
        .order_by(Segment.start_ms, Segment.id)
    ).all()
    chosen = []
    for line in candidates:
        shared = min(line.end_ms, end_ms) - max(line.start_ms, start_ms)
        length = max(line.end_ms - line.start_ms, 1)
        if shared * 2 >= length or (line.start_ms <= start_ms and line.end_ms >= end_ms):
            chosen.append(line)
    return chosen or list(candidates[:1])


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


def credits(lines) -> str | None:
    """Return who spoke the lines, in order, each once."""
    names = list(dict.fromkeys(c for c in (speaker_credit(s) for s in lines) if c))
    return "; ".join(names) or None


def _long_date(moment: date | datetime) -> str:
    return moment.strftime("%B %-d, %Y")


def citation_text(hearing: Hearing, lines, url: str, checked_on: datetime | None = None) -> str:
    """Return ready-to-paste citation text for a quote of one or more lines."""
    who = credits(lines)
    quote = " ".join(" ".join(s.text for s in lines).split())
    start = min(s.start_ms for s in lines)
    end = max(s.end_ms for s in lines)
    at = f"at {clock(start)}" if len(lines) == 1 else f"{clock(start)}–{clock(end)}"
    status = (
        f"transcript checked by the clerk on {_long_date(checked_on)}"
        if checked_on
        else "machine transcript"
    )
    parts = [f"“{quote}”"]
    if who:
        parts.append(f"— {who},")
    parts.append(
        f"{hearing.title}, {hearing.body.name}, {_long_date(hearing.date)}, {at} ({status}). {url}"
    )
    return " ".join(parts)


@dataclass
class Correction:
    """One correction as the public sees it."""

    at: datetime
    kind: str
    start_ms: int
    before: str | None
    after: str | None
    reason: str | None


def redacted_lines(hearing: Hearing) -> set[int]:
    """Return the ids of every line a redaction in force has touched."""
    return {
        kept["segment_id"]
        for redaction in hearing.active_redactions
        for kept in redaction.lines or []
        if "segment_id" in kept
    }


def withheld(hearing: Hearing, revision: LineRevision, touched: set[int] | None = None) -> bool:
    """Return whether a revision's words are of a redacted part: by its times, or its line's.

    A line can be corrected, then moved elsewhere and redacted there: its older revisions
    name the old times, so the line itself counts too.
    """
    if not hearing.active_redactions:
        return False
    touched = redacted_lines(hearing) if touched is None else touched
    if revision.segment_id in touched:
        return True
    sides = [side for side in (revision.before, revision.after) if side]
    if any(side.get("merged_into") in touched for side in sides):
        return True
    return any(
        r.start_ms < int(side.get("end_ms", 0)) and r.end_ms > int(side.get("start_ms", 0))
        for r in hearing.active_redactions
        for side in sides
    )


def public_correction(
    hearing: Hearing, revision: LineRevision, touched: set[int] | None = None
) -> Correction:
    """Return a revision as the log shows it: earlier words of a redacted part are withheld."""
    sides = [revision.before or {}, revision.after or {}]
    start = min(int(s.get("start_ms", 0)) for s in sides)
    withheld_here = withheld(hearing, revision, touched)

    def words(side: dict) -> str | None:
        if not side:
            return None
        if withheld_here:
            return WITHHELD
        text = side.get("text")
        if revision.kind == "speaker":
            return f"{side.get('speaker') or 'Unattributed'}: {text}"
        if revision.kind == "language":
            return f"[{side.get('language') or 'en'}] {text}"
        if revision.kind == "times":
            return f"{clock(side.get('start_ms', 0))}–{clock(side.get('end_ms', 0))} {text}"
        return text

    return Correction(
        at=revision.at,
        kind=revision.kind,
        start_ms=start,
        before=words(revision.before or {}),
        after=words(revision.after or {}),
        reason=None if withheld_here else revision.reason,
    )


def corrections_log(session: DbSession, hearing: Hearing) -> list[Correction]:
    """Return the hearing's corrections, newest first."""
    revisions = session.scalars(
        select(LineRevision)
        .where(LineRevision.hearing_id == hearing.id, LineRevision.kind.in_(CORRECTION_KINDS))
        .order_by(LineRevision.at.desc(), LineRevision.id.desc())
    )
    touched = redacted_lines(hearing)
    return [public_correction(hearing, r, touched) for r in revisions]


def corrections_summary(session: DbSession, hearing: Hearing) -> dict:
    """Return how many corrections the hearing has had and when the last one was made."""
    from sqlalchemy import func

    count, last = session.execute(
        select(func.count(LineRevision.id), func.max(LineRevision.at)).where(
            LineRevision.hearing_id == hearing.id, LineRevision.kind.in_(CORRECTION_KINDS)
        )
    ).one()
    return {"count": count, "last": last}


def corrections_in_range(
    session: DbSession, hearing: Hearing, lines, start_ms: int, end_ms: int, since: date | None
) -> list[Correction]:
    """Return corrections of the quoted lines (or made in the range) after ``since``, oldest first.

    Without ``since`` every correction counts: the quote is compared with the machine
    transcript.
    """
    ids = {s.id for s in lines}
    touched = redacted_lines(hearing)
    found = []
    for revision in session.scalars(
        select(LineRevision)
        .where(LineRevision.hearing_id == hearing.id, LineRevision.kind.in_(CORRECTION_KINDS))
        .order_by(LineRevision.at, LineRevision.id)
    ):
        sides = [revision.before or {}, revision.after or {}]
        touches = revision.segment_id in ids or any(
            int(s.get("start_ms", 0)) < end_ms and int(s.get("end_ms", 0)) > start_ms
            for s in sides
            if s
        )
        at = revision.at.date() if isinstance(revision.at, datetime) else revision.at
        if touches and (since is None or at >= since):
            found.append(public_correction(hearing, revision, touched))
    return found
