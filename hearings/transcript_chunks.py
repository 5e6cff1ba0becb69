"""The transcript in chunks: a hearing's page shows a window of its lines, and more arrive as
the reader scrolls or plays.

A 3-hour hearing has about 1,800 lines; drawing all of them on every visit cost a third of a
second and a megabyte before anyone scrolled. A window starts at the beginning, or a few lines
before the moment a link or the player asked for, and is extended a chunk at a time, forwards
or backwards, from the line at its edge. Places in the transcript are (start time, line id):
lines sharing a start time still have one order, and a place stays valid while lines are
corrected around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select

from hearings.errors import Malformed
from hearings.models import Hearing, Segment
from hearings.models.base import DbSession

# Lines in one chunk: about fifteen minutes of a hearing, well under the page's byte budget.
CHUNK_LINES = 150
# Lines shown above the moment a link opens at, so the reader sees what led up to it.
LINES_BEFORE = 5

_PLACE = re.compile(r"(\d{1,10})_(\d{1,12})")


@dataclass(frozen=True)
class Place:
    """A line's place in the transcript's order, written ``<start_ms>_<line id>`` in links."""

    start_ms: int
    line_id: int

    @classmethod
    def of(cls, line: Segment) -> Place:
        return cls(line.start_ms, line.id)

    @classmethod
    def parse(cls, value: str | None) -> Place | None:
        if value is None or value == "":
            return None
        match = _PLACE.fullmatch(value)
        if match is None:
            raise Malformed("That is not a place in the transcript.")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.start_ms}_{self.line_id}"


@dataclass
class TranscriptChunk:
    """A window of the transcript: its lines grouped into speaker turns, and what lies beyond."""

    lines: list[Segment]
    turns: list[list[Segment]]
    # The first turn carries on a turn that began before the window.
    continued: bool = False
    # Where the lines before and after the window start from, when there are any.
    earlier: Place | None = None
    later: Place | None = None
    # Whether the hearing has any lines at all (the window may be empty for a speaker filter).
    has_lines: bool = False
    whole: bool = False
    speaker_id: int | None = None


def _after(place: Place, inclusive: bool = False):
    same_time = Segment.id >= place.line_id if inclusive else Segment.id > place.line_id
    return or_(
        Segment.start_ms > place.start_ms, and_(Segment.start_ms == place.start_ms, same_time)
    )


def _before(place: Place):
    return or_(
        Segment.start_ms < place.start_ms,
        and_(Segment.start_ms == place.start_ms, Segment.id < place.line_id),
    )


def transcript_chunk(
    session: DbSession,
    hearing: Hearing,
    *,
    speaker_id: int | None = None,
    after: Place | None = None,
    before: Place | None = None,
    at_ms: int | None = None,
    whole: bool = False,
    size: int | None = None,
) -> TranscriptChunk:
    """Return a window of the hearing's lines (one speaker's with speaker_id).

    Args:
        after: the lines following this place (scrolling down).
        before: the lines preceding this place (scrolling up).
        at_ms: the lines from a few before the one spoken at this moment (a link, the player).
        whole: every line, for reading or printing the transcript in one page.
        size: lines in the window (CHUNK_LINES).
    """
    size = size or CHUNK_LINES
    chosen = [Segment.hearing_id == hearing.id]
    if speaker_id is not None:
        chosen.append(Segment.speaker_id == speaker_id)
    forwards = (Segment.start_ms, Segment.id)
    query = select(Segment).where(*chosen)
    if whole:
        lines = list(session.scalars(query.order_by(*forwards)))
    elif before is not None:
        backwards = (Segment.start_ms.desc(), Segment.id.desc())
        lines = list(session.scalars(query.where(_before(before)).order_by(*backwards).limit(size)))
        lines.reverse()
    else:
        start = after
        inclusive = False
        if after is None and at_ms is not None:
            start, inclusive = _lead_in(session, chosen, at_ms), True
        if start is not None:
            query = query.where(_after(start, inclusive))
        lines = list(session.scalars(query.order_by(*forwards).limit(size)))

    chunk = TranscriptChunk(lines, [], whole=whole, speaker_id=speaker_id)
    if not lines:
        chunk.has_lines = bool(session.scalar(select(exists().where(*chosen))))
        return chunk
    chunk.has_lines = True
    first, last = Place.of(lines[0]), Place.of(lines[-1])
    if session.scalar(select(exists().where(*chosen, _before(first)))):
        chunk.earlier = first
    if session.scalar(select(exists().where(*chosen, _after(last)))):
        chunk.later = last
    chunk.turns, chunk.continued = _turns(session, hearing, lines, filtered=speaker_id is not None)
    return chunk


def _lead_in(session: DbSession, chosen: list, at_ms: int) -> Place | None:
    """Return the place a few lines before the one spoken at ``at_ms`` (None: the beginning)."""
    leading = session.execute(
        select(Segment.start_ms, Segment.id)
        .where(*chosen, Segment.start_ms <= at_ms)
        .order_by(Segment.start_ms.desc(), Segment.id.desc())
        .limit(LINES_BEFORE + 1)
    ).all()
    if not leading:
        return None
    start_ms, line_id = leading[-1]
    return Place(start_ms, line_id)


def _turns(
    session: DbSession, hearing: Hearing, lines: list[Segment], filtered: bool
) -> tuple[list[list[Segment]], bool]:
    """Group the window's lines into speaker turns; say whether the first continues a turn.

    A turn is consecutive lines of one speaker in the whole hearing: when the window holds one
    speaker's lines, lines another person spoke between them start a new turn.
    """
    first, last = Place.of(lines[0]), Place.of(lines[-1])
    in_hearing = [Segment.hearing_id == hearing.id]
    previous_speaker = session.scalar(
        select(Segment.speaker_id)
        .where(*in_hearing, _before(first))
        .order_by(Segment.start_ms.desc(), Segment.id.desc())
        .limit(1)
    )
    continued = previous_speaker is not None and previous_speaker == lines[0].speaker_id
    follows: dict[int, int | None] = {}
    if filtered:
        # Light (id) rows of every line in the window's span, to see who spoke between.
        order = session.scalars(
            select(Segment.id)
            .where(*in_hearing, _after(first, inclusive=True))
            .where(or_(_before(last), Segment.id == last.line_id))
            .order_by(Segment.start_ms, Segment.id)
        ).all()
        # [None, *order] is one longer than order: each line paired with the one before it.
        follows = dict(zip(order, [None, *order], strict=False))
    turns: list[list[Segment]] = []
    for line in lines:
        previous = turns[-1][-1] if turns else None
        if (
            previous is not None
            and previous.speaker_id == line.speaker_id
            and (not filtered or follows.get(line.id) == previous.id)
        ):
            turns[-1].append(line)
        else:
            turns.append([line])
    return turns, continued


def first_start(session: DbSession, hearing: Hearing, line_ids: list[int]) -> int | None:
    """Return when the first of these lines of the hearing starts (None: none of them)."""
    if not line_ids:
        return None
    return session.scalar(
        select(Segment.start_ms)
        .where(Segment.hearing_id == hearing.id, Segment.id.in_(line_ids))
        .order_by(Segment.start_ms)
        .limit(1)
    )
