"""Give every recognised word a speaker and split transcript lines where the speaker changes.

Rules (all in :func:`assign_word_speakers`, a pure function of its inputs):

* A word goes to the speaker whose turns overlap its time span the most. A word with no
  duration goes to a speaker whose turn contains its instant.
* A word that falls in a gap between turns goes to the nearest turn by time; when the turns
  before and after are equally near, the one before wins (the speaker keeps the floor until
  someone else is heard).
* A segment is split wherever consecutive words have different speakers; each piece gets its
  words' texts joined with spaces, the first word's start and the last word's end. A segment
  spoken by one voice keeps its own text and times.
* Crosstalk: a piece is marked ``crosstalk=True`` when two or more speakers are active for at
  least :data:`CROSSTALK_SHARE` of its duration (for a piece with no duration: at its
  instant). The words still get the single most-overlapping speaker, but the line is shown as
  crosstalk rather than silently given to one voice.
* With no turns at all, segments come back unchanged (copies) with no speakers.

Segments without words keep their text and are given a speaker by their own time span.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace

from transcription.schema import Segment, SpeakerTurn, Word

# Share of a line's duration with two or more speakers active that makes it crosstalk. Half:
# a line that is mostly one voice with a brief interjection stays that voice's line.
CROSSTALK_SHARE = 0.5


class _TurnIndex:
    """Turns sorted by start, for finding those that overlap or lie nearest a time span."""

    def __init__(self, turns: Sequence[SpeakerTurn]) -> None:
        self.turns = sorted((t for t in turns if t.end >= t.start), key=lambda t: (t.start, t.end))
        self.starts = [t.start for t in self.turns]
        by_end = sorted(range(len(self.turns)), key=lambda i: self.turns[i].end)
        self.ends_order = by_end
        self.ends = [self.turns[i].end for i in by_end]
        self.longest = max((t.end - t.start for t in self.turns), default=0.0)

    def overlapping(self, start: float, end: float) -> list[SpeakerTurn]:
        """Return turns sharing time with [start, end] (touching counts for instants)."""
        lo = bisect.bisect_left(self.starts, start - self.longest)
        hi = bisect.bisect_right(self.starts, end)
        if end > start:
            return [t for t in self.turns[lo:hi] if t.end > start and t.start < end]
        return [t for t in self.turns[lo:hi] if t.start <= start <= t.end]

    def nearest(self, start: float, end: float) -> SpeakerTurn | None:
        """Return the turn closest to [start, end]; the earlier one on a tie."""
        before = bisect.bisect_right(self.ends, start) - 1
        after = bisect.bisect_left(self.starts, end)
        previous = self.turns[self.ends_order[before]] if before >= 0 else None
        following = self.turns[after] if after < len(self.turns) else None
        if previous is None or following is None:
            return previous or following
        return previous if start - previous.end <= following.start - end else following


def speaker_at(start: float, end: float, index: _TurnIndex) -> str | None:
    """Return the speaker most present in [start, end], or the nearest one, or None."""
    candidates = index.overlapping(start, end)
    if candidates:
        presence: dict[str, float] = {}
        for turn in candidates:
            shared = max(0.0, min(turn.end, end) - max(turn.start, start))
            presence[turn.speaker] = presence.get(turn.speaker, 0.0) + shared
        # max() keeps the first of equals, i.e. the speaker whose turn started first.
        return max(presence, key=lambda speaker: presence[speaker])
    nearest = index.nearest(start, end)
    return nearest.speaker if nearest else None


def crosstalk_share(start: float, end: float, index: _TurnIndex) -> float:
    """Return the share of [start, end] during which two or more speakers are active."""
    turns = index.overlapping(start, end)
    if end <= start:
        return 1.0 if len({t.speaker for t in turns}) >= 2 else 0.0
    # Merge each speaker's own turns first, so that one voice never counts twice.
    per_speaker: dict[str, list[tuple[float, float]]] = {}
    for turn in turns:
        per_speaker.setdefault(turn.speaker, []).append(
            (max(turn.start, start), min(turn.end, end))
        )
    events: list[tuple[float, int]] = []
    for spans in per_speaker.values():
        for span_start, span_end in _merged(spans):
            events += [(span_start, 1), (span_end, -1)]
    events.sort()
    active = 0
    shared = 0.0
    previous = start
    for time, change in events:
        if active >= 2:
            shared += time - previous
        active += change
        previous = time
    return shared / (end - start)


def assign_word_speakers(
    segments: Sequence[Segment],
    turns: Sequence[SpeakerTurn],
    *,
    crosstalk_threshold: float = CROSSTALK_SHARE,
) -> list[Segment]:
    """Return new segments whose words carry speakers, split where the speaker changes.

    Neither argument is modified. See the module docstring for the rules.

    Args:
        segments: recognised segments, with word timings where available.
        turns: diarization turns; they may overlap.
        crosstalk_threshold: share of a piece's duration with two or more speakers that
            marks it ``crosstalk``.
    """
    if not turns:
        return [replace(s, words=[replace(w) for w in s.words]) for s in segments]
    index = _TurnIndex(turns)
    result: list[Segment] = []
    for segment in segments:
        if not segment.words:
            speaker = speaker_at(segment.start, segment.end, index)
            crosstalk = crosstalk_share(segment.start, segment.end, index) >= crosstalk_threshold
            result.append(replace(segment, words=[], speaker=speaker, crosstalk=crosstalk))
            continue
        words = [replace(w, speaker=speaker_at(w.start, w.end, index)) for w in segment.words]
        runs = _runs_by_speaker(words)
        if len(runs) == 1:
            # One voice throughout: keep the recogniser's own text and times.
            share = crosstalk_share(segment.start, segment.end, index)
            result.append(
                replace(
                    segment,
                    words=words,
                    speaker=words[0].speaker,
                    crosstalk=share >= crosstalk_threshold,
                )
            )
            continue
        for run in runs:
            start, end = run[0].start, run[-1].end
            result.append(
                Segment(
                    start=start,
                    end=end,
                    text=" ".join(w.text.strip() for w in run if w.text.strip()),
                    words=run,
                    speaker=run[0].speaker,
                    crosstalk=crosstalk_share(start, end, index) >= crosstalk_threshold,
                    language=segment.language,
                )
            )
    return result


def _runs_by_speaker(words: list[Word]) -> list[list[Word]]:
    runs: list[list[Word]] = []
    for word in words:
        if runs and runs[-1][-1].speaker == word.speaker:
            runs[-1].append(word)
        else:
            runs.append([word])
    return runs


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for span_start, span_end in sorted(spans):
        if merged and span_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span_end))
        else:
            merged.append((span_start, span_end))
    return merged
