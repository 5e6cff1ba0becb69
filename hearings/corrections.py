"""Corrections to a transcript line: words, split, merge, times, speaker; each kept as a revision.

Every change writes a :class:`LineRevision` (who, when, the line before and after, why) in the
same transaction as the change and the search index, so pages, search and exports show the
corrected text at once and the public corrections log shows what changed. An edit sent from a
page loaded before someone else's save is refused with both versions (409), never merged
silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from sqlalchemy import select

from hearings import search
from hearings.errors import Conflict, Malformed, Refused
from hearings.models import Hearing, LineRevision, Segment, Speaker, Word
from hearings.models.audit import record
from hearings.models.base import DbSession, clean_text
from hearings.models.testimony import testimony_segments
from hearings.timecodes import clock

MAX_LINE_TEXT = 5000
MAX_REASON = 500
# The marker a redaction leaves in place of the words it withholds.
REDACTED = "[redacted]"


class EditConflict(Conflict):
    """Someone saved the line after this form was loaded; both versions go back to the page."""

    def __init__(self, segment: Segment, sent_text: str | None) -> None:
        super().__init__(
            "Someone else changed this line after you opened it. Their version is shown "
            "below yours: copy what you need into the current version and save again."
        )
        self.segment = segment
        self.sent_text = sent_text


def line_state(segment: Segment) -> dict:
    """Return what a revision keeps of a line: its words, times, speaker and language."""
    speaker = segment.speaker
    return {
        "text": segment.text,
        "start_ms": segment.start_ms,
        "end_ms": segment.end_ms,
        "speaker": speaker.display if speaker else None,
        "language": segment.spoken_language,
    }


def _revise(
    session: DbSession,
    user,
    segment: Segment,
    kind: str,
    before: dict,
    reason: str | None,
    *,
    segment_id: int | None = None,
    after: dict | None = None,
) -> LineRevision:
    session.flush()
    revision = LineRevision(
        hearing_id=segment.hearing_id,
        segment_id=segment_id if segment_id is not None else segment.id,
        kind=kind,
        before=before,
        after=after if after is not None else line_state(segment),
        reason=reason or None,
        user_id=getattr(user, "id", None),
    )
    session.add(revision)
    record(
        session,
        user,
        f"line.{kind}",
        segment,
        before,
        revision.after,
        hearing_id=segment.hearing_id,
    )
    return revision


def check_version(segment: Segment, version: int | None, sent_text: str | None = None) -> None:
    """Refuse an edit made from a page showing an older version of the line."""
    if version is None:
        raise Malformed("The form did not say which version of the line it edits.")
    if version != segment.version:
        raise EditConflict(segment, sent_text)


def clean_reason(reason: str | None) -> str | None:
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        raise Refused(f"The reason is too long (at most {MAX_REASON} characters).")
    return reason or None


def clean_line_text(text: str | None) -> str:
    text = " ".join(clean_text(text or "", multiline=False).split())
    if not text:
        raise Refused("A line needs at least one word. To remove a line, merge it with another.")
    if len(text) > MAX_LINE_TEXT:
        raise Refused(f"A line holds at most {MAX_LINE_TEXT} characters; split it first.")
    return text


# --- words and their timings ---------------------------------------------------------------


def retime_words(words: Sequence[Word], tokens: Sequence[str], start_ms: int, end_ms: int):
    """Return (text, start, end, probability, label) per token: kept times where words match.

    Words the editor left as they were keep the recogniser's timings; a run of changed or
    added words is spread evenly over the time between the kept words around it.
    """
    old = [w.text for w in words]
    matcher = difflib.SequenceMatcher(None, old, list(tokens), autojunk=False)
    timed: list[tuple[str, int | None, int | None, float, str | None]] = []
    label = next((w.speaker_label for w in words if w.speaker_label), None)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                w = words[i1 + k]
                timed.append((tokens[j1 + k], w.start_ms, w.end_ms, w.probability, w.speaker_label))
        else:
            for k in range(j1, j2):
                # 1.0: a person wrote this word; it is not a guess of the recogniser.
                timed.append((tokens[k], None, None, 1.0, label))
    return _spread(timed, start_ms, end_ms)


def _spread(timed, start_ms: int, end_ms: int):
    result = []
    i = 0
    while i < len(timed):
        if timed[i][1] is not None:
            result.append(timed[i])
            i += 1
            continue
        j = i
        while j < len(timed) and timed[j][1] is None:
            j += 1
        left = result[-1][2] if result else start_ms
        right = timed[j][1] if j < len(timed) else end_ms
        left = min(max(left, start_ms), end_ms)
        right = max(min(right, end_ms), left)
        count = j - i
        step = (right - left) / count
        for k in range(count):
            text, _, _, probability, label = timed[i + k]
            a = int(round(left + k * step))
            b = int(round(left + (k + 1) * step))
            result.append((text, a, max(b, a), probability, label))
        i = j
    return result


def _set_words(segment: Segment, timed) -> None:
    segment.words = [
        Word(start_ms=a, end_ms=b, text=text[:100], probability=p, speaker_label=label)
        for text, a, b, p, label in timed
    ]


# --- the corrections -------------------------------------------------------------------------


def correct_words(
    session: DbSession,
    user,
    segment: Segment,
    text: str | None,
    version: int | None,
    reason: str | None = None,
    *,
    may_unredact: bool = False,
) -> LineRevision | None:
    """Replace a line's words; unchanged words keep their timings.

    Args:
        may_unredact: an admin may remove the marker of a redacted part; others must keep
            it, or a correction could make public what a redaction withholds.
    """
    check_version(segment, version, text)
    text = clean_line_text(text)
    reason = clean_reason(reason)
    if text == segment.text:
        return None
    if not may_unredact and text.split().count(REDACTED) != segment.text.split().count(REDACTED):
        raise Refused(
            f"This line has a redacted part: keep each “{REDACTED}” where it stands. Only an "
            "admin can lift a redaction."
        )
    before = line_state(segment)
    old_text = segment.text
    timed = retime_words(list(segment.words), text.split(), segment.start_ms, segment.end_ms)
    segment.text = text
    _set_words(segment, timed)
    segment.corrected = True
    search.reindex_segments(session, [(segment.id, old_text)], [segment.id])
    return _revise(session, user, segment, "words", before, reason)


def set_language(
    session: DbSession,
    user,
    segment: Segment,
    language: str | None,
    version: int | None,
    reason: str | None = None,
) -> LineRevision | None:
    """Say which language a line was spoken in, where detection got it wrong.

    The line is searched by its new language's rules from now on, and processing the hearing
    again keeps it as the person left it. Its words stay as they are: a line recognised in the
    wrong language needs its words corrected too.
    """
    from transcription.languages import LanguageError, parse_languages

    check_version(segment, version)
    try:
        chosen = parse_languages((language or "").strip())
    except LanguageError as error:
        raise Refused(str(error)) from None
    if chosen is None or len(chosen) != 1:
        raise Refused("Choose the one language the line was spoken in.")
    reason = clean_reason(reason)
    if chosen[0] == segment.spoken_language:
        return None
    before = line_state(segment)
    segment.language = chosen[0]
    segment.corrected = True
    # Out of the index its stored language put it in, then into its new language's.
    search.reindex_segments(session, [(segment.id, segment.text)], [segment.id])
    return _revise(session, user, segment, "language", before, reason)


def set_times(
    session: DbSession,
    user,
    segment: Segment,
    start_ms: int | None,
    end_ms: int | None,
    version: int | None,
    reason: str | None = None,
) -> LineRevision | None:
    """Move a line's start and end; its words are spread over the new span where they fall out."""
    check_version(segment, version)
    reason = clean_reason(reason)
    if start_ms is None or end_ms is None:
        raise Refused("Give both a start and an end, as h:mm:ss.")
    if end_ms <= start_ms:
        raise Refused("The end must come after the start.")
    recording = segment.hearing.recording
    if recording is not None and recording.duration_ms and end_ms > recording.duration_ms + 1000:
        raise Refused(f"The recording ends at {clock(recording.duration_ms)}.")
    if (start_ms, end_ms) == (segment.start_ms, segment.end_ms):
        return None
    before = line_state(segment)
    words = list(segment.words)
    inside = all(start_ms <= w.start_ms and w.end_ms <= end_ms for w in words)
    segment.start_ms, segment.end_ms = start_ms, end_ms
    if not inside:
        # Timings outside the line would place words where the line is not: spread them.
        _set_words(
            segment,
            _spread(
                [(w.text, None, None, w.probability, w.speaker_label) for w in words],
                start_ms,
                end_ms,
            ),
        )
    segment.corrected = True
    return _revise(session, user, segment, "times", before, reason)


def split_line(
    session: DbSession,
    user,
    segment: Segment,
    at_word: int | None,
    version: int | None,
    reason: str | None = None,
) -> Segment:
    """Split a line before its word number ``at_word`` (counted from 0); return the new line."""
    check_version(segment, version)
    reason = clean_reason(reason)
    tokens = segment.text.split()
    if at_word is None or not 0 < at_word < len(tokens):
        raise Refused("Choose a word after the first one to start the new line at.")
    words = list(segment.words)
    if len(words) != len(tokens):
        # Words and text disagree (an older transcript): time the words from the text first.
        timed = retime_words(words, tokens, segment.start_ms, segment.end_ms)
        _set_words(segment, timed)
        session.flush()
        words = list(segment.words)
    before = line_state(segment)
    old_text = segment.text
    first, second = words[:at_word], words[at_word:]
    middle = second[0].start_ms if second else segment.end_ms
    new_line = Segment(
        hearing_id=segment.hearing_id,
        start_ms=max(middle, segment.start_ms),
        end_ms=segment.end_ms,
        text=" ".join(tokens[at_word:]),
        speaker_id=segment.speaker_id,
        crosstalk=segment.crosstalk,
        language=segment.language,
        speaker_set_by_clerk=segment.speaker_set_by_clerk,
        corrected=True,
    )
    session.add(new_line)
    segment.text = " ".join(tokens[:at_word])
    end = first[-1].end_ms if first else middle
    segment.end_ms = max(min(end, new_line.start_ms), segment.start_ms + 1)
    segment.corrected = True
    for word in second:
        word.segment = new_line
    session.flush()
    # Testimony that quoted the whole line quotes both halves.
    quoting = session.scalars(
        select(testimony_segments.c.testimony_id).where(
            testimony_segments.c.segment_id == segment.id
        )
    ).all()
    if quoting:
        session.execute(
            testimony_segments.insert(),
            [{"testimony_id": t, "segment_id": new_line.id} for t in quoting],
        )
    search.reindex_segments(session, [(segment.id, old_text)], [segment.id, new_line.id])
    _revise(session, user, segment, "split", before, reason, after=line_state(segment))
    _revise(session, user, new_line, "split", before, reason)
    return new_line


def merge_with_next(
    session: DbSession,
    user,
    segment: Segment,
    version: int | None,
    reason: str | None = None,
) -> Segment:
    """Join a line with the one after it; the joined line keeps this line's speaker."""
    check_version(segment, version)
    reason = clean_reason(reason)
    following = session.scalars(
        select(Segment)
        .where(
            Segment.hearing_id == segment.hearing_id,
            Segment.id != segment.id,
            (Segment.start_ms > segment.start_ms)
            | ((Segment.start_ms == segment.start_ms) & (Segment.id > segment.id)),
        )
        .order_by(Segment.start_ms, Segment.id)
    ).first()
    if following is None:
        raise Refused("This is the last line: there is no next line to join it with.")
    before = line_state(segment)
    removed = line_state(following)
    old = [(segment.id, segment.text), (following.id, following.text)]
    segment.text = f"{segment.text} {following.text}".strip()
    segment.end_ms = max(segment.end_ms, following.end_ms)
    segment.corrected = True
    for word in list(following.words):
        word.segment = segment
    # Testimony quoting the removed line now quotes the joined one.
    session.execute(
        testimony_segments.update()
        .where(
            testimony_segments.c.segment_id == following.id,
            ~testimony_segments.c.testimony_id.in_(
                select(testimony_segments.c.testimony_id).where(
                    testimony_segments.c.segment_id == segment.id
                )
            ),
        )
        .values(segment_id=segment.id)
    )
    session.execute(
        testimony_segments.delete().where(testimony_segments.c.segment_id == following.id)
    )
    search.unindex_segments(session.connection(), old)
    following_id = following.id
    session.flush()
    session.delete(following)
    session.flush()
    search.index_segments(session.connection(), [segment.id])
    _revise(
        session,
        user,
        segment,
        "merge",
        removed,
        reason,
        segment_id=following_id,
        after={"merged_into": segment.id, **line_state(segment)},
    )
    _revise(session, user, segment, "merge", before, reason)
    return segment


def move_lines(
    session: DbSession,
    user,
    hearing: Hearing,
    start_ms: int | None,
    end_ms: int | None,
    speaker: Speaker | None,
    reason: str | None = None,
) -> list[Segment]:
    """Give every line starting from ``start_ms`` to ``end_ms`` (inclusive) to ``speaker``."""
    from hearings.speakers import _relabel_words

    reason = clean_reason(reason)
    if speaker is None or speaker.hearing_id != hearing.id:
        raise Malformed("Pick one of this hearing's speakers.")
    if start_ms is None or end_ms is None:
        raise Refused("Give the times of the first and the last line to move, as h:mm:ss.")
    if end_ms < start_ms:
        start_ms, end_ms = end_ms, start_ms
    lines = session.scalars(
        select(Segment)
        .where(
            Segment.hearing_id == hearing.id,
            Segment.start_ms >= start_ms,
            Segment.start_ms <= end_ms,
        )
        .order_by(Segment.start_ms)
    ).all()
    if not lines:
        raise Refused(f"No line starts between {clock(start_ms)} and {clock(end_ms)}.")
    moved = []
    for line in lines:
        if line.speaker_id == speaker.id:
            continue
        before = line_state(line)
        previous = line.speaker.label if line.speaker else None
        line.speaker = speaker
        line.speaker_set_by_clerk = True
        _relabel_words(line, previous, speaker.label)
        _revise(session, user, line, "speaker", before, reason)
        moved.append(line)
    return moved


def line_history(session: DbSession, segment: Segment) -> list[LineRevision]:
    """Return the revisions of a line, newest first."""
    return list(
        session.scalars(
            select(LineRevision)
            .where(
                LineRevision.hearing_id == segment.hearing_id,
                LineRevision.segment_id == segment.id,
            )
            .order_by(LineRevision.id.desc())
        )
    )


def line_in(session: DbSession, hearing: Hearing, segment_id: int | None) -> Segment | None:
    """Return the hearing's line with this id, or None."""
    if segment_id is None:
        return None
    segment = session.get(Segment, segment_id)
    return segment if segment is not None and segment.hearing_id == hearing.id else None
