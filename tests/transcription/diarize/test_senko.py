"""senko, the fallback diarizer, on real audio, and its bound on the number of speakers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.transcription.diarize.helpers import NATIVE_FBANK, assert_inside, der, settings
from transcription.diarize import SenkoDiarizer, create_diarizer, senko
from transcription.voices import EMBEDDING_DIMENSION, SAMPLE_RATE


@pytest.mark.model
def test_senko_fallback_produces_turns(sample, sample_reference, tmp_path_factory) -> None:
    cache = tmp_path_factory.mktemp("cache")
    home = os.environ.get("HOME")
    # Louder than full scale, as a loudness-normalised loud recording could be: senko itself
    # refuses such samples.
    loud = sample * np.float32(3.0)

    diarizer = create_diarizer(settings(diarizer="senko", cache_dir=str(cache)))
    result = diarizer.diarize(loud)

    assert isinstance(diarizer, SenkoDiarizer)
    assert len(result.speakers) >= 2
    assert_inside(result.turns, sample.size / SAMPLE_RATE)
    # Measured: 0.22 (senko's own VAD and 1.5 s pieces are coarser than pyannote's).
    assert der(sample_reference, result.turns, sample.size / SAMPLE_RATE) < 0.3
    assert all(len(v) == EMBEDDING_DIMENSION for v in result.embeddings.values())
    with open("/proc/self/maps") as maps:
        assert NATIVE_FBANK not in maps.read()
    # numba compiles into the configured cache, and the home folder is left as it was.
    assert Path(os.environ["NUMBA_CACHE_DIR"]).is_relative_to(cache)
    assert os.environ.get("HOME") == home


@pytest.mark.model
def test_senko_speaker_bound_merges_down(sample) -> None:
    result = create_diarizer(settings(diarizer="senko", max_speakers=1)).diarize(sample)

    assert result.speakers == ["SPEAKER_00"]


def test_senko_bound_merges_the_most_similar_voices() -> None:
    pieces = [
        {"speaker": "A", "start": 0.0, "end": 4.0},
        {"speaker": "B", "start": 4.0, "end": 5.0},
        {"speaker": "C", "start": 5.0, "end": 9.0},
    ]
    centroids = {
        "A": np.array([1.0, 0.0, 0.0]),
        "B": np.array([0.9, 0.1, 0.0]),
        "C": np.array([0.0, 0.0, 1.0]),
    }

    merged, kept = senko._merge_to_at_most(pieces, centroids, 2)

    assert [p["speaker"] for p in merged] == ["A", "A", "C"]
    assert set(kept) == {"A", "C"}
    assert senko._merge_to_at_most(pieces, centroids, None) == (pieces, centroids)
