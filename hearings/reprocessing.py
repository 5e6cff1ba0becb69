"""Carry what clerks did across a new machine transcript of the same recording.

"Process again" replaces every transcript row. Clerks' work is tied to rows (a testimony's
lines, a named speaker, a line given to another speaker), so before the rows go it is read
into plain values anchored to times in the recording, and afterwards attached again to the
new rows that cover the same times. What cannot be attached with confidence becomes a
:class:`ReviewItem` for a clerk; nothing is dropped without a word and nothing is attached
to another person's words.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from hearings.errors import Refused
from hearings.models import Hearing, LineRevision, ReviewItem, Segment, Speaker, Testimony
from hearings.models.base import DbSession
from hearings.timecodes import clock

# Share of a speaker's talk time that one voice of the new transcript must cover, both ways,
# for a clerk's name to pass to it: below this the voices were split or merged differently.
SPEAKER_OVERLAP = 0.5
# Share of the words a clerk saw that the new lines at the same time still hold, in order,
# above which they are the same testimony: a new run changes a word here and there, while
# other words at that time (another speaker, a misplaced line) share almost none.
QUOTE_SIMILARITY = 0.6


@dataclass(frozen=True)
class Span:
    start_ms: int
    end_ms: int

    @property
    def length(self) -> int:
        return max(self.end_ms - self.start_ms, 0)

    def overlap(self, other: Span) -> int:
        return max(0, min(self.end_ms, other.end_ms) - max(self.start_ms, other.start_ms))


@dataclass
class NamedVoice:
    """A speaker label of the old transcript and the person a clerk named for it."""

    speaker_id: int
    label: str
    person_id: int | None
    person_name: str | None
    spans: list[Span] = field(default_factory=list)

    @property
    def talk_ms(self) -> int:
        return sum(s.length for s in self.spans)


@dataclass(frozen=True)
class ClerkLine:
    """A line a clerk gave to a speaker by hand."""

    span: Span
    # Copied from Segment.speaker_id, which the model allows to be None.
    speaker_id: int | None
    person_id: int | None
    shown_as: str


@dataclass(frozen=True)
class QuotedTestimony:
    testimony_id: int
    span: Span
    words: str
    # Whether the lines were credited to the testimony's own person when it was recorded.
    spoken_by_named_person: bool


@dataclass
class ClerkWork:
    """What clerks did to a hearing's transcript, in terms of the recording's times."""

    voices: dict[int, NamedVoice] = field(default_factory=dict)
    lines: list[ClerkLine] = field(default_factory=list)
    testimonies: list[QuotedTestimony] = field(default_factory=list)

    @property
    def named(self) -> list[NamedVoice]:
        return [v for v in self.voices.values() if v.person_id is not None]


@dataclass(frozen=True)
class CarryOverPlan:
    """What "process again" will do with clerks' work, as the form tells it."""

    testimonies: int
    named_speakers: int
    clerk_lines: int
    open_reviews: int

    @property
    def anything(self) -> bool:
        return bool(self.testimonies or self.named_speakers or self.clerk_lines)


def plan(session: DbSession, hearing: Hearing) -> CarryOverPlan:
    """Count the clerks' work that processing the hearing again must carry over."""
    return CarryOverPlan(
        testimonies=session.scalar(
            select(func.count(Testimony.id)).where(
                Testimony.hearing_id == hearing.id, Testimony.quote_start_ms.is_not(None)
            )
        )
        or 0,
        named_speakers=session.scalar(
            select(func.count(Speaker.id)).where(
                Speaker.hearing_id == hearing.id, Speaker.person_id.is_not(None)
            )
        )
        or 0,
        clerk_lines=session.scalar(
            select(func.count(Segment.id)).where(
                Segment.hearing_id == hearing.id, Segment.speaker_set_by_clerk.is_(True)
            )
        )
        or 0,
        open_reviews=len(hearing.open_review_items),
    )


def collect(session: DbSession, hearing: Hearing) -> ClerkWork:
    """Read the clerks' work on the current transcript into times; unlink testimony from rows.

    After this the old rows can be deleted: no testimony points at them any more.
    """
    work = ClerkWork()
    for speaker in hearing.speakers:
        work.voices[speaker.id] = NamedVoice(
            speaker.id,
            speaker.label,
            speaker.person_id,
            speaker.person.name if speaker.person else None,
        )
    for segment in hearing.segments:
        span = Span(segment.start_ms, segment.end_ms)
        if segment.speaker_id in work.voices:
            work.voices[segment.speaker_id].spans.append(span)
        if segment.speaker_set_by_clerk and segment.speaker is not None:
            work.lines.append(
                ClerkLine(
                    span, segment.speaker_id, segment.speaker.person_id, segment.speaker.display
                )
            )
    testimonies = session.scalars(
        select(Testimony).where(Testimony.hearing_id == hearing.id).order_by(Testimony.id)
    )
    for testimony in testimonies:
        if testimony.segments and testimony.quote_start_ms is None:
            # Recorded before testimony had anchors: take them from its lines now.
            testimony.anchor_to(list(testimony.segments))
        if testimony.quote_start_ms is None or testimony.quote_end_ms is None:
            continue
        work.testimonies.append(
            QuotedTestimony(
                testimony.id,
                Span(testimony.quote_start_ms, testimony.quote_end_ms),
                testimony.quote_text or "",
                spoken_by_named_person=any(
                    s.speaker is not None and s.speaker.person_id == testimony.person_id
                    for s in testimony.segments
                ),
            )
        )
        testimony.segments = []
    session.flush()
    return work


def corrected_lines(hearing: Hearing) -> list[Segment]:
    """Return the lines a person corrected: processing again keeps them as they are."""
    return [s for s in hearing.segments if s.corrected]


def fit_around_corrections(
    hearing: Hearing, corrected: Sequence[Segment], new_segments: list[Segment]
) -> tuple[list[Segment], list[ReviewItem]]:
    """Fit the new machine lines around the corrected ones; list corrections that now conflict.

    A new line's words said inside a corrected line's time are the corrected line's: they are
    dropped from the new line (and a new line left with none goes). Each corrected line takes
    the voice that said most of those words. Where the new run heard clearly different words
    there than the machine first did, the clerk is asked which to keep.
    """
    if not corrected:
        return new_segments, []
    spans = sorted((c.start_ms, c.end_ms, c) for c in corrected)

    def owner(ms: float) -> Segment | None:
        for start, end, line in spans:
            if start <= ms < end:
                return line
        return None

    heard: dict[int, list[str]] = defaultdict(list)
    voices: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    kept_segments = []
    for segment in new_segments:
        words = list(segment.words)
        if words:
            keep = []
            for word in words:
                line = owner((word.start_ms + word.end_ms) / 2)
                if line is None:
                    keep.append(word)
                    continue
                heard[line.id].append(word.text)
                if segment.speaker is not None:
                    voices[line.id][segment.speaker] += word.end_ms - word.start_ms
            if len(keep) == len(words):
                kept_segments.append(segment)
                continue
            if keep:
                segment.words = keep
                segment.text = " ".join(w.text for w in keep)
                if keep[0] is not words[0]:
                    segment.start_ms = keep[0].start_ms
                if keep[-1] is not words[-1]:
                    segment.end_ms = keep[-1].end_ms
                kept_segments.append(segment)
                continue
        else:
            line = owner((segment.start_ms + segment.end_ms) / 2)
            if line is None:
                kept_segments.append(segment)
                continue
            heard[line.id].append(segment.text)
        hearing.segments.remove(segment)
    # The first revision of each corrected line holds the words the machine gave it.
    first_revision: dict[int, LineRevision] = {}
    for revision in sorted(hearing.revisions, key=lambda r: r.id):
        if revision.segment_id is not None:
            first_revision.setdefault(revision.segment_id, revision)
    reviews = []
    for line in corrected:
        if voices.get(line.id):
            line.speaker = max(voices[line.id].items(), key=lambda item: item[1])[0]
        else:
            # The new run heard nothing there: the voice of the nearest new line, so the
            # corrected line is not left unattributed.
            nearest = min(
                (s for s in kept_segments if s.speaker is not None),
                key=lambda s: max(s.start_ms - line.end_ms, line.start_ms - s.end_ms, 0),
                default=None,
            )
            line.speaker = nearest.speaker if nearest is not None else None
        first = first_revision.get(line.id)
        machine_before = (first.before or {}).get("text") if first else None
        machine_now = " ".join(heard.get(line.id, []))
        if not machine_before or not machine_now:
            continue
        if quote_similarity(machine_now, machine_before) >= QUOTE_SIMILARITY:
            continue
        where = f"{clock(line.start_ms)}–{clock(line.end_ms)}"
        reviews.append(
            ReviewItem(
                hearing_id=hearing.id,
                kind="correction",
                segment_id=line.id,
                message=(
                    f"The corrected line at {where} was kept: “{_shortened(line.text)}”. "
                    f"The new machine transcript heard something else there: "
                    f"“{_shortened(machine_now)}”. Keep the correction, or edit the line."
                ),
            )
        )
    return kept_segments, reviews


def names_for_new_voices(work: ClerkWork, new_segments: Sequence[Segment]) -> dict[str, int]:
    """Return the person id for each new label that covers the same talk as a named old one.

    A name passes only where the two voices are each other's best match and each covers at
    least half of the other's talk: labels of a new run are arbitrary (SPEAKER_01 may now be
    somebody else), so names are never carried by label.
    """
    overlap = _talk_overlap(work, new_segments)
    new_talk: dict[str, int] = defaultdict(int)
    for segment in new_segments:
        if segment.speaker is not None:
            new_talk[segment.speaker.label] += segment.end_ms - segment.start_ms
    names: dict[str, int] = {}
    for voice in work.named:
        shared = {label: ms for (old, label), ms in overlap.items() if old == voice.speaker_id}
        if not shared:
            continue
        label = max(shared, key=shared.__getitem__)
        best_old = max(
            (old for old, other in overlap if other == label),
            key=lambda old: overlap[(old, label)],
        )
        ms = shared[label]
        if (
            best_old == voice.speaker_id
            and ms >= SPEAKER_OVERLAP * voice.talk_ms
            and ms >= SPEAKER_OVERLAP * new_talk[label]
        ):
            names[label] = voice.person_id  # type: ignore[assignment]
    return names


def _talk_overlap(work: ClerkWork, new_segments: Sequence[Segment]) -> dict[tuple[int, str], int]:
    """Return milliseconds of overlap between each old speaker and each new label."""
    old = sorted(
        (span.start_ms, span.end_ms, voice.speaker_id)
        for voice in work.voices.values()
        for span in voice.spans
    )
    starts = [start for start, _, _ in old]
    # Lines hardly ever exceed a minute; look back that far for lines that started earlier.
    longest = max((end - start for start, end, _ in old), default=0)
    overlap: dict[tuple[int, str], int] = defaultdict(int)
    for segment in new_segments:
        if segment.speaker is None:
            continue
        new = Span(segment.start_ms, segment.end_ms)
        first = bisect.bisect_left(starts, new.start_ms - longest)
        for start, end, speaker_id in old[first:]:
            if start >= new.end_ms:
                break
            shared = new.overlap(Span(start, end))
            if shared:
                overlap[(speaker_id, segment.speaker.label)] += shared
    return overlap


def carry_over(
    session: DbSession,
    hearing: Hearing,
    work: ClerkWork,
    speakers: dict[str, Speaker],
    new_segments: Sequence[Segment],
) -> list[ReviewItem]:
    """Attach the clerks' work to the new transcript rows; list what could not be attached."""
    reviews: list[ReviewItem] = []
    names = names_for_new_voices(work, new_segments)
    for label, person_id in names.items():
        speakers[label].person_id = person_id
    carried = set(names.values())
    for voice in work.named:
        if voice.person_id not in carried:
            reviews.append(
                ReviewItem(
                    hearing_id=hearing.id,
                    kind="speaker name",
                    message=(
                        f"{voice.label} was named {voice.person_name}. No voice in the new "
                        "transcript spoke at the same times, so the name was not given to "
                        "anyone: name the right speaker again."
                    ),
                )
            )
    session.flush()
    reviews += _reapply_clerk_lines(session, hearing, work, speakers, new_segments)
    reviews += _reattach_testimony(session, hearing, work, new_segments)
    session.add_all(reviews)
    return reviews


def _covering(segments: Sequence[Segment], span: Span) -> list[Segment]:
    """Return the lines that lie mostly inside the span, or that hold most of it."""
    chosen = []
    for segment in segments:
        line = Span(segment.start_ms, segment.end_ms)
        shared = line.overlap(span)
        if shared and (shared * 2 > line.length or shared * 2 > span.length):
            chosen.append(segment)
    return chosen


def _reapply_clerk_lines(
    session: DbSession,
    hearing: Hearing,
    work: ClerkWork,
    speakers: dict[str, Speaker],
    new_segments: Sequence[Segment],
) -> list[ReviewItem]:
    from hearings.speakers import _relabel_words, next_label

    reviews = []
    by_person = {s.person_id: s for s in speakers.values() if s.person_id is not None}
    for line in work.lines:
        target = by_person.get(line.person_id) if line.person_id is not None else None
        if line.person_id is not None and target is None:
            # The person has no voice of their own in the new run: give them one, as the
            # clerk's reassignment did.
            target = Speaker(
                hearing=hearing, label=next_label(session, hearing.id), person_id=line.person_id
            )
            session.add(target)
            session.flush()
            speakers[target.label] = target
            by_person[line.person_id] = target
        covered = _covering(new_segments, line.span)
        if target is None or not covered:
            where = f"{clock(line.span.start_ms)}–{clock(line.span.end_ms)}"
            reviews.append(
                ReviewItem(
                    hearing_id=hearing.id,
                    kind="line speaker",
                    message=(
                        f"A clerk gave the line at {where} to {line.shown_as}. "
                        + (
                            "No line of the new transcript lies there."
                            if not covered
                            else f"{line.shown_as} has no name, so the new lines there keep "
                            "the machine's speaker: check them."
                        )
                    ),
                )
            )
            continue
        for segment in covered:
            previous = segment.speaker.label if segment.speaker else None
            segment.speaker = target
            segment.speaker_set_by_clerk = True
            _relabel_words(segment, previous, target.label)
    return reviews


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.casefold())


def quote_similarity(before: str, after: str) -> float:
    """Return the share of the words a clerk saw that the new lines still hold, in order (0-1).

    Measured against the clerk's words only: a new run often joins the quoted words with the
    same speaker's next sentence into one line, which is still the same testimony (on the
    real pyannote sample a symmetric ratio scored such a line 0.56).
    """
    quoted = _words(before)
    if not quoted:
        return 0.0
    matcher = difflib.SequenceMatcher(None, quoted, _words(after), autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(quoted)


def _reattach_testimony(
    session: DbSession, hearing: Hearing, work: ClerkWork, new_segments: Sequence[Segment]
) -> list[ReviewItem]:
    reviews = []
    for quoted in work.testimonies:
        testimony = session.get(Testimony, quoted.testimony_id)
        if testimony is None:
            continue
        lines, problem = _lines_to_attach(testimony, quoted, _covering(new_segments, quoted.span))
        if problem is None:
            # The clerk's wording stays in quote_text; the lines now show the new wording.
            testimony.segments = lines
            continue
        where = f"{clock(quoted.span.start_ms)}–{clock(quoted.span.end_ms)}"
        reviews.append(
            ReviewItem(
                hearing_id=hearing.id,
                kind="testimony",
                testimony_id=testimony.id,
                message=(
                    f"Testimony by {testimony.person.name} on “{testimony.matter.title}” "
                    f"({where}) was not attached to the new transcript: {problem}. "
                    f"It keeps the words it had: “{_shortened(quoted.words)}”"
                ),
            )
        )
    return reviews


def _lines_to_attach(
    testimony: Testimony, quoted: QuotedTestimony, covered: Iterable[Segment]
) -> tuple[list[Segment], str | None]:
    """Return the new lines the testimony should quote, or why none can be chosen."""
    covered = list(covered)
    if not covered:
        return [], "no line of the new transcript lies at that time"
    others = {
        s.speaker.person.name
        for s in covered
        if s.speaker is not None
        and s.speaker.person is not None
        and s.speaker.person_id != testimony.person_id
    }
    if others:
        return [], f"the lines there are now credited to {', '.join(sorted(others))}"
    if quoted.spoken_by_named_person:
        # Only the lines still credited to the person: a line the new run gives to another
        # voice, even an unnamed one, is not theirs to quote.
        covered = [
            s
            for s in covered
            if s.speaker is not None and s.speaker.person_id == testimony.person_id
        ]
        if not covered:
            return [], f"the lines there are no longer credited to {testimony.person.name}"
    similarity = quote_similarity(quoted.words, " ".join(s.text for s in covered))
    if similarity < QUOTE_SIMILARITY:
        return (
            [],
            f"the words there now read differently ({similarity:.0%} of them are still there)",
        )
    return covered, None


def _shortened(text: str, length: int = 200) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def resolve(session: DbSession, user, item: ReviewItem) -> None:
    """Record that a clerk checked a review item (the caller commits)."""
    from hearings.models.audit import record
    from hearings.models.base import utcnow

    if item.resolved_at is not None:
        return
    item.resolved_at = utcnow()
    item.resolved_by_id = getattr(user, "id", None)
    session.flush()
    record(
        session,
        user,
        "review.resolve",
        item,
        {"message": item.message},
        {"resolved": True},
        hearing_id=item.hearing_id,
    )


def attach_where_it_was(session: DbSession, user, item: ReviewItem) -> Testimony:
    """Attach an item's testimony to the lines now at its time, on a clerk's word.

    The clerk has compared the words: this is the decision the machine would not take.
    """
    from hearings.models.audit import record

    testimony = session.get(Testimony, item.testimony_id) if item.testimony_id else None
    if testimony is None or testimony.quote_start_ms is None or testimony.quote_end_ms is None:
        raise Refused("This item has no spoken testimony to attach.")
    lines = session.scalars(
        select(Segment).where(Segment.hearing_id == item.hearing_id).order_by(Segment.start_ms)
    ).all()
    covered = _covering(lines, Span(testimony.quote_start_ms, testimony.quote_end_ms))
    if not covered:
        raise Refused(
            "No line of the transcript lies at that time any more; record the testimony "
            "again from the right lines, or keep the words it had."
        )
    testimony.segments = covered
    session.flush()
    record(
        session,
        user,
        "testimony.reattach",
        testimony,
        {"quote_text": testimony.quote_text},
        {"segments": [s.id for s in covered], "text": " ".join(s.text for s in covered)},
        hearing_id=item.hearing_id,
    )
    resolve(session, user, item)
    return testimony
