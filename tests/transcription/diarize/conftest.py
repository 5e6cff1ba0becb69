"""The real recording every diarizer is run on: pyannote's sample and its reference turns."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import shared
from transcription.voices import SAMPLE_RATE


@pytest.fixture(scope="session")
def sample() -> np.ndarray:
    import soundfile

    samples, rate = soundfile.read(shared("pyannote-sample", "sample.wav"), dtype="float32")
    assert rate == SAMPLE_RATE
    return samples


@pytest.fixture(scope="session")
def sample_reference():
    from pyannote.database.util import load_rttm

    return load_rttm(shared("pyannote-sample", "sample.rttm"))["sample"]
