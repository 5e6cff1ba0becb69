"""Which language each stretch of speech is in, for hearings where people testify in several.

Whisper decides a language once per call and, left to itself on a mixed recording, goes on
in the first one it heard: on a clip of English then Spanish it detected English (p = 0.43)
and wrote the Spanish half as invented English. So the speech is cut into passages (the
voice activity detector's regions, which end at a pause of over a second, cut again where the
diarizer heard the speaker change and at Whisper's 30-second window), the language of each
passage is detected on its own (a passage Whisper is unsure of is cut again at its pauses of
half a second), and each run of passages in one language is transcribed with that language
given. Every line then carries the language it was recognised in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from transcription.asr import SpeechRegion, detect_speech
from transcription.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

# Whisper hears 30 seconds at a time; a longer passage would be detected on its start only.
MAX_PASSAGE_SECONDS = 30.0
# The voice activity detector joins speech across pauses of up to 2 s, too long to notice a
# witness and an interpreter taking turns; a pause of this length is where a passage may end.
PAUSE_MS = 500
# Below this much speech a detection is a guess ("OK", "gracias" can be either); such a
# passage keeps its neighbour's language unless Whisper is sure of its own.
SHORT_PASSAGE_SECONDS = 2.0
SURE = 0.8
# Below this, a passage may hold two languages and is detected again piece by piece. On the
# synthetic mixed hearing, passages holding both languages scored 0.81 and 0.88.
CONFIDENT = 0.95

# Names shown to clerks and readers for the languages offered in forms; any other language
# Whisper knows is shown by its code.
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "pt": "Portuguese",
    "zh": "Chinese",
    "vi": "Vietnamese",
    "ar": "Arabic",
    "so": "Somali",
    "ru": "Russian",
    "tl": "Tagalog",
}


class LanguageError(ValueError):
    """A language setting Whisper cannot follow, with what it accepts."""


def whisper_languages() -> tuple[str, ...]:
    """Return every language code the multilingual Whisper models know."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return tuple(_LANGUAGE_CODES)


def parse_languages(setting: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Read a languages setting: "en", "en,es", or "auto"/empty for any language.

    Returns:
        The codes in the order given, or None for "detect any language".

    Raises:
        LanguageError: a code Whisper does not know (Hmong, for one, is not among them).
    """
    if setting is None:
        return None
    items = setting.split(",") if isinstance(setting, str) else list(setting)
    codes = [item.strip().lower() for item in items if item.strip()]
    if not codes or codes == ["auto"]:
        return None
    known = set(whisper_languages())
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise LanguageError(
            f"Whisper does not know the language code {', '.join(unknown)}; use codes such as "
            "en, es, fr, or auto to detect any language."
        )
    return tuple(dict.fromkeys(codes))


def describe(code: str | None) -> str:
    """Return a language's name for a reader, e.g. "Spanish", or its code if not listed."""
    if not code:
        return "unknown"
    return LANGUAGE_NAMES.get(code, code)


@dataclass
class Passage:
    """Speech between two pauses or speaker changes, and the language detected in it."""

    regions: list[SpeechRegion]
    language: str | None = None
    probability: float = 0.0

    @property
    def start(self) -> int:
        return self.regions[0].start

    @property
    def end(self) -> int:
        return self.regions[-1].end

    @property
    def samples(self) -> int:
        return sum(region.end - region.start for region in self.regions)


@dataclass
class LanguageRun:
    """Consecutive passages in one language: one call to the recogniser."""

    language: str
    regions: list[SpeechRegion]


def passages(
    speech: Sequence[SpeechRegion],
    cut_at: Sequence[float] = (),
    max_seconds: float = MAX_PASSAGE_SECONDS,
) -> list[Passage]:
    """Cut speech regions into passages at the times ``cut_at`` (seconds: speaker changes,
    pauses) and every ``max_seconds``.

    Each region is already bounded by a pause; a change of speaker inside one (a quick
    hand-over from a witness to an interpreter) is where a new language most often starts.
    """
    cuts = sorted(int(round(time * SAMPLE_RATE)) for time in cut_at)
    longest = int(max_seconds * SAMPLE_RATE)
    result: list[Passage] = []
    for region in speech:
        inside = [cut for cut in cuts if region.start < cut < region.end]
        bounds = [region.start, *inside, region.end]
        for start, end in zip(bounds, bounds[1:], strict=False):
            while end - start > longest:
                result.append(Passage([SpeechRegion(start, start + longest)]))
                start += longest
            if end > start:
                result.append(Passage([SpeechRegion(start, end)]))
    return result


def detect_passages(
    model: WhisperModel,
    samples: np.ndarray,
    found: list[Passage],
    languages: tuple[str, ...] | None,
    pause_times: Sequence[float] | None = None,
    progress=None,
) -> list[Passage]:
    """Detect each passage's language among ``languages`` (None: any) and return the passages.

    A passage Whisper is not sure of may hold two languages: it is cut at its pauses
    (``pause_times`` in seconds; found with :func:`pauses` when the first unsure passage
    needs them) and each piece detected on its own. Each detection costs a 30-second window of
    Whisper's encoder however short the piece, so only unsure passages are cut: on real
    English meetings this took a third of the time of cutting at every pause
    (bench/languages.py). A short piece Whisper is not sure of then takes the language of the
    piece before it (or after it, at the start): one or two words are too little to tell
    languages apart.
    """
    result: list[Passage] = []
    for number, passage in enumerate(found, start=1):
        _detect(model, samples, passage, languages)
        pieces = []
        if passage.probability < CONFIDENT:
            if pause_times is None:
                pause_times = pauses(samples)
            pieces = passages(passage.regions, pause_times)
        if len(pieces) > 1:
            for piece in pieces:
                _detect(model, samples, piece, languages)
            result.extend(pieces)
        else:
            result.append(passage)
        if progress:
            progress(number / len(found))
    _smooth(result)
    return result


def _detect(
    model: WhisperModel, samples: np.ndarray, passage: Passage, languages: tuple[str, ...] | None
) -> None:
    audio = np.concatenate([samples[region.start : region.end] for region in passage.regions])
    _, _, ranked = model.detect_language(audio=audio)
    passage.language, passage.probability = _best(ranked, languages)


def _best(ranked: list[tuple[str, float]], languages: tuple[str, ...] | None) -> tuple[str, float]:
    """Return the likeliest allowed language and its share of the allowed languages' odds."""
    allowed = [(code, p) for code, p in ranked if languages is None or code in languages]
    if not allowed:
        # The model knows none of the allowed languages' tokens; the first one is the intent.
        assert languages
        return languages[0], 0.0
    total = sum(p for _, p in allowed) or 1.0
    code, p = max(allowed, key=lambda item: item[1])
    return code, p / total


def _trusted(passage: Passage) -> bool:
    """Whether a passage is long enough, or Whisper sure enough, to keep its own language."""
    return passage.samples >= SHORT_PASSAGE_SECONDS * SAMPLE_RATE or passage.probability >= SURE


def _smooth(found: list[Passage]) -> None:
    trusted = [p for p in found if _trusted(p)]
    if not trusted:
        return
    previous: Passage | None = None
    for passage in found:
        if _trusted(passage):
            previous = passage
            continue
        neighbour = previous or next(p for p in trusted if p.start > passage.start)
        passage.language = neighbour.language


def language_runs(found: list[Passage]) -> list[LanguageRun]:
    """Join consecutive passages in the same language into the runs the recogniser is given."""
    runs: list[LanguageRun] = []
    for passage in found:
        language = passage.language or "en"
        if runs and runs[-1].language == language:
            runs[-1].regions.extend(passage.regions)
        else:
            runs.append(LanguageRun(language, list(passage.regions)))
    return runs


def pauses(samples: np.ndarray) -> list[float]:
    """Return the middle (in seconds) of every pause of at least ``PAUSE_MS`` in the speech."""
    regions = detect_speech(samples, min_silence_ms=PAUSE_MS)
    return [
        (earlier.end + later.start) / 2 / SAMPLE_RATE
        for earlier, later in zip(regions, regions[1:], strict=False)
    ]


def speaker_changes(turns) -> list[float]:
    """Return the times at which the diarizer's speaker changes, from its turns in time order."""
    changes = []
    previous = None
    for turn in sorted(turns, key=lambda turn: turn.start):
        if previous is not None and turn.speaker != previous:
            changes.append(turn.start)
        previous = turn.speaker
    return changes


def main_language(segments) -> str | None:
    """Return the language most of the words were recognised in."""
    counts: dict[str, int] = {}
    for segment in segments:
        if segment.language:
            counts[segment.language] = counts.get(segment.language, 0) + max(len(segment.words), 1)
    return max(counts, key=lambda code: counts[code]) if counts else None
