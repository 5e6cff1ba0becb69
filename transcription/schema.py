"""Plain dataclasses a transcription run returns; times are float seconds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


def clock(seconds: float) -> str:
    """Return h:mm:ss, whole seconds cut, the way players and transcript lines show a time."""
    whole = int(max(seconds, 0))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


# What one stage (decoding, recognition, diarization) reports: the fraction (0-1) done.
StageProgress = Callable[[float], None]
# What a whole run reports to its job: the stage's name and the run's percent done.
JobProgress = Callable[[str, int], None]


@dataclass
class Word:
    """One recognised word with its time span and, once diarized, its speaker."""

    text: str
    start: float
    end: float
    probability: float = 1.0
    speaker: str | None = None


@dataclass
class Segment:
    """A run of words by one speaker, the unit a transcript line and a quote are made of."""

    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None
    # True where two or more speakers overlap for a large part of the segment:
    # the line is shown as crosstalk instead of silently given to one voice.
    crosstalk: bool = False
    # The language the words were recognised in (ISO 639-1, e.g. "en", "es"); None if unknown.
    language: str | None = None


@dataclass
class SpeakerTurn:
    """A diarization result: this label spoke from start to end (turns may overlap)."""

    start: float
    end: float
    speaker: str


@dataclass
class Transcript:
    """The result of one pipeline run over one recording."""

    segments: list[Segment]
    language: str
    duration: float
    model: str
    audio_sha256: str | None = None
    turns: list[SpeakerTurn] = field(default_factory=list)
    # One voice embedding per speaker label, for recognising returning speakers.
    speaker_embeddings: dict[str, list[float]] = field(default_factory=dict)
    diarizer: str | None = None
    # Why diarization was skipped or failed; the transcript is still usable.
    diarization_error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        """Return the distinct speaker labels in order of first appearance."""
        seen: dict[str, None] = {}
        for segment in self.segments:
            if segment.speaker:
                seen.setdefault(segment.speaker, None)
        return list(seen)

    def to_dict(self, *, with_embeddings: bool = False) -> dict[str, Any]:
        """Return the JSON form that `flask transcribe --json` prints and exports share."""
        data = asdict(self)
        if not with_embeddings:
            data.pop("speaker_embeddings")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        """Rebuild a transcript from :meth:`to_dict` output."""
        segments = [
            Segment(
                **{k: v for k, v in s.items() if k != "words"},
                words=[Word(**w) for w in s.get("words", [])],
            )
            for s in data["segments"]
        ]
        turns = [SpeakerTurn(**t) for t in data.get("turns", [])]
        rest = {k: v for k, v in data.items() if k not in {"segments", "turns"}}
        return cls(segments=segments, turns=turns, **rest)
