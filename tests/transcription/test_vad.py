"""Voice detection a slice at a time finds what faster-whisper finds on the whole recording."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

from tests.conftest import shared
from transcription import vad
from transcription.audio import SAMPLE_RATE, decode

RECORDINGS = [
    ("whisper-jfk", "jfk.flac"),
    ("ami-pyannote-debug", "dev00.wav"),
    ("ami-pyannote-debug", "trn04.wav"),
    ("pyannote-sample", "sample.wav"),
]
SETTINGS = [VadOptions(), VadOptions(min_silence_duration_ms=500, speech_pad_ms=100)]


@pytest.mark.parametrize("recording", RECORDINGS, ids=[name for _, name in RECORDINGS])
@pytest.mark.parametrize("options", SETTINGS, ids=["defaults", "half-second pauses"])
def test_the_regions_are_faster_whispers_own(recording, options):
    samples = decode(shared(*recording))
    expected = [(r["start"], r["end"]) for r in get_speech_timestamps(samples, options)]
    assert expected
    assert vad.detect_speech(samples, options) == expected


def test_slices_carry_the_model_state_so_the_probabilities_do_not_change():
    samples = decode(shared("pyannote-sample", "sample.wav"))
    whole = get_vad_model()(np.pad(samples, (0, vad.WINDOW - samples.size % vad.WINDOW)))
    # Slices of 7 windows put a slice boundary every 224 ms, inside speech and pauses alike.
    for slice_windows in (7, 1000, 100_000):
        found = vad.speech_probabilities(samples, slice_windows=slice_windows)
        assert np.array_equal(found, np.asarray(whole).reshape(-1))


@pytest.mark.parametrize("length", [0, 1, vad.WINDOW - 1, vad.WINDOW, 3 * vad.WINDOW + 5])
def test_any_length_gives_one_probability_per_window_as_faster_whisper(length):
    samples = np.random.default_rng(length).uniform(-0.1, 0.1, length).astype(np.float32)
    whole = get_vad_model()(np.pad(samples, (0, vad.WINDOW - samples.size % vad.WINDOW)))
    assert np.array_equal(vad.speech_probabilities(samples), np.asarray(whole).reshape(-1))


def test_silence_has_no_speech():
    assert vad.detect_speech(np.zeros(5 * SAMPLE_RATE, dtype=np.float32), VadOptions()) == []
