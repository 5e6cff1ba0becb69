"""The shipped pyannote pipeline on real audio, and a user's own pipeline folder."""

from __future__ import annotations

import numpy as np
import pytest

from tests.transcription.diarize.helpers import (
    PIPELINE_CONFIG,
    assert_inside,
    build_pipeline_folder,
    der,
    settings,
)
from transcription.diarize import Diarization, DiarizerUnavailable, create_diarizer, pyannote
from transcription.voices import EMBEDDING_DIMENSION, SAMPLE_RATE

# Measured DER of the default engine on the pyannote sample (collar 0, overlap scored): 0.072.
SAMPLE_DER_BOUND = 0.10


@pytest.fixture(scope="module")
def default_result(sample: np.ndarray) -> tuple[Diarization, list[float]]:
    reported: list[float] = []
    result = create_diarizer(settings()).diarize(sample, progress=reported.append)
    return result, reported


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


@pytest.mark.model
def test_the_lean_reconstruction_gives_pyannotes_own_diarization() -> None:
    """Real segmentation of a 6-minute meeting, clustered into many speakers, some windows
    with a silent local speaker, and speaker counts of 0 to 3 a frame."""
    import torch
    from pyannote.audio.pipelines import SpeakerDiarization

    from tests.conftest import shared
    from transcription.audio import decode

    samples = np.concatenate(
        [decode(shared("ami-pyannote-debug", f"{clip}.wav")) for clip in ("trn00", "dev01")]
    )
    pipeline, _ = pyannote._shipped_pipeline(pyannote.SEGMENTATION_STEP, False)
    file = {"waveform": torch.from_numpy(samples)[None], "sample_rate": SAMPLE_RATE, "uri": "x"}
    segmentations = pipeline.get_segmentations(file)
    count = pipeline.speaker_count(
        segmentations, pipeline._segmentation.model.receptive_field, warm_up=(0.0, 0.0)
    )
    assert set(np.unique(count.data)) >= {0, 1, 2}
    rng = np.random.default_rng(3)
    num_chunks, _, local_speakers = segmentations.data.shape
    for clusters in (2, 9):
        hard_clusters = rng.integers(0, clusters, (num_chunks, local_speakers))
        hard_clusters[np.sum(segmentations.data, axis=1) == 0] = -2
        for heard in (count, type(count)(np.minimum(count.data, 1), count.sliding_window)):
            expected = SpeakerDiarization.reconstruct(pipeline, segmentations, hard_clusters, heard)
            found = pyannote.lean_reconstruct(segmentations, hard_clusters, heard)
            window = (found.sliding_window.start, found.sliding_window.step)
            assert window == (expected.sliding_window.start, expected.sliding_window.step)
            assert found.sliding_window.duration == expected.sliding_window.duration
            assert np.array_equal(found.data, expected.data)


def test_vector_linkage_builds_scipys_dendrogram() -> None:
    """fastcluster's linkage of the vectors merges as scipy's linkage of all distances does,
    on unit-length vectors around a few voices, as pyannote clusters them."""
    from scipy.cluster.hierarchy import fcluster, linkage

    rng = np.random.default_rng(11)
    voices = rng.standard_normal((12, EMBEDDING_DIMENSION))
    vectors = voices[rng.integers(0, 12, 1_500)] + 0.6 * rng.standard_normal(
        (1_500, EMBEDDING_DIMENSION)
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for method in ("centroid", "single", "ward", "median"):
        expected = linkage(vectors, method=method, metric="euclidean")
        found = pyannote.vector_linkage(vectors, method=method, metric="euclidean")
        assert np.allclose(found[:, 2], expected[:, 2]), method
        assert np.array_equal(found[:, 3], expected[:, 3]), method
        for threshold in (0.5, 0.7, 0.9):
            assert np.array_equal(
                fcluster(found, threshold, criterion="distance"),
                fcluster(expected, threshold, criterion="distance"),
            ), (method, threshold)
    # Other methods are scipy's own.
    average = pyannote.vector_linkage(vectors, method="average", metric="cosine")
    assert np.array_equal(average, linkage(vectors, method="average", metric="cosine"))


@pytest.mark.model
def test_the_lean_pipeline_gives_pyannotes_own_diarization(monkeypatch) -> None:
    """The shipped pipeline, which skips the exclusive diarization and clusters with
    fastcluster, diarizes a real minute of meeting exactly as pyannote's own code does."""
    import scipy.cluster.hierarchy
    import torch
    from pyannote.audio.pipelines import SpeakerDiarization, clustering

    from tests.conftest import shared
    from transcription.audio import decode

    samples = np.concatenate(
        [decode(shared("ami-pyannote-debug", f"{clip}.wav")) for clip in ("trn00", "dev01")]
    )
    pipeline, _ = pyannote._shipped_pipeline(pyannote.SEGMENTATION_STEP, False)
    pipeline.instantiate(
        {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {"method": "centroid", "threshold": 0.7, "min_cluster_size": 4},
        }
    )
    file = {"waveform": torch.from_numpy(samples)[None], "sample_rate": SAMPLE_RATE, "uri": "x"}

    linked, vector_linkage = [], pyannote.vector_linkage

    def counted(*args, **kwargs):
        linked.append(args[0].shape)
        return vector_linkage(*args, **kwargs)

    monkeypatch.setattr(pyannote, "vector_linkage", counted)
    lean = pipeline(file)
    assert len(linked) == 1
    # The shipped pipeline's run alone clusters with fastcluster.
    assert clustering.linkage is scipy.cluster.hierarchy.linkage
    assert len(lean.exclusive_speaker_diarization) == 0
    monkeypatch.setattr(pipeline, "reconstruct", SpeakerDiarization.reconstruct.__get__(pipeline))
    own = SpeakerDiarization.apply(pipeline, file)

    assert len(own.speaker_diarization.labels()) >= 3
    assert lean.speaker_diarization == own.speaker_diarization
    assert np.array_equal(lean.speaker_embeddings, own.speaker_embeddings)
