"""Voice embeddings tell voices apart, and known voices are ranked by similarity."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from transcription.voices import (
    EMBEDDING_DIMENSION,
    RECOGNITION_THRESHOLD,
    SAMPLE_RATE,
    cosine_similarity,
    embed_voice,
    rank_known_voices,
)

# Different sentences for every clip: encoders and diarizers behave oddly on repeated audio.
SENTENCES = [
    "The committee will now hear public comment on the proposed budget amendment for parks.",
    "Members of the public who wish to speak should hand a card to the clerk before the item.",
    "I have lived on Harbor Street for twenty years and the traffic has never been this bad.",
    "Our neighborhood association voted last month to ask the council for a new crosswalk.",
]
# espeak-ng voices that sound clearly different (a male and a female variant) plus a third
# so that ranking has a real choice to make.
VOICES = ["en-us", "en+f3", "en+klatt2"]


def speak(text: str, voice: str, folder: Path) -> np.ndarray:
    """Synthesise text with espeak-ng and return it as 16 kHz mono float32 samples."""
    import soundfile

    raw = folder / "raw.wav"
    converted = folder / "converted.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(converted)],
        check=True,
        capture_output=True,
    )
    samples, rate = soundfile.read(converted, dtype="float32")
    assert rate == SAMPLE_RATE
    return samples


@pytest.fixture(scope="module")
def embeddings(tmp_path_factory) -> dict[str, list[list[float]]]:
    """Return one embedding per sentence for each voice."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("needs espeak-ng and sox")
    folder = tmp_path_factory.mktemp("voices")
    return {
        voice: [embed_voice(speak(sentence, voice, folder)) for sentence in SENTENCES]
        for voice in VOICES
    }


@pytest.mark.model
def test_embedding_is_192_finite_floats(embeddings) -> None:
    vector = embeddings["en-us"][0]

    assert len(vector) == EMBEDDING_DIMENSION
    assert all(isinstance(x, float) for x in vector)
    assert np.isfinite(vector).all()


@pytest.mark.model
def test_same_voice_is_more_similar_than_a_different_voice(embeddings) -> None:
    male, female = embeddings["en-us"], embeddings["en+f3"]
    same = [
        cosine_similarity(a, b)
        for clips in (male, female)
        for a, b in itertools.combinations(clips, 2)
    ]
    different = [cosine_similarity(a, b) for a in male for b in female]

    # Every pair of one voice (different sentences) beats every pair across the two voices.
    assert min(same) > max(different)


@pytest.mark.model
def test_ranking_recognises_each_voice_from_new_sentences(embeddings) -> None:
    # Enrol each voice with two sentences; recognise it from the other two.
    known = {voice: clips[:2] for voice, clips in embeddings.items()}

    for voice, clips in embeddings.items():
        for unseen in clips[2:]:
            ranked = rank_known_voices(unseen, known, threshold=RECOGNITION_THRESHOLD)
            assert ranked[0][0] == voice
            assert ranked == sorted(ranked, key=lambda pair: -pair[1])


@pytest.mark.model
def test_too_little_audio_is_refused() -> None:
    with pytest.raises(ValueError, match="0.2 s"):
        embed_voice(np.zeros(1000, dtype=np.float32))


@pytest.mark.model
def test_audio_just_past_a_window_is_embedded() -> None:
    import soundfile

    from tests.conftest import shared

    samples, _ = soundfile.read(shared("pyannote-sample", "sample.wav"), dtype="float32")
    # 30 s and one sample: the last window holds a single sample, too little to analyse.
    audio = np.concatenate([samples[: 30 * SAMPLE_RATE], samples[:1]])

    assert len(embed_voice(audio)) == EMBEDDING_DIMENSION


@pytest.mark.model
def test_long_audio_is_embedded_in_windows(embeddings, tmp_path) -> None:
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("needs espeak-ng and sox")
    clips = [speak(sentence, "en+f3", tmp_path) for sentence in SENTENCES * 2]
    # Over 30 s of one voice: embedded window by window and averaged.
    long = np.concatenate(clips * 2)
    assert long.size > 30 * SAMPLE_RATE

    vector = embed_voice(long)

    assert cosine_similarity(vector, embeddings["en+f3"][0]) > max(
        cosine_similarity(vector, other) for other in embeddings["en-us"]
    )


def test_cosine_similarity() -> None:
    assert cosine_similarity([1.0, 2.0], [2.0, 4.0]) == pytest.approx(1.0)
    assert cosine_similarity([1.0, 0.0], [0.0, 3.0]) == pytest.approx(0.0)
    assert cosine_similarity([1.0, 0.0], [-1.0, 0.0]) == pytest.approx(-1.0)
    assert cosine_similarity([0.0, 0.0], [1.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="differ in size"):
        cosine_similarity([1.0], [1.0, 2.0])


def test_ranking_keeps_voices_above_the_threshold_best_first() -> None:
    known = {
        "councillor-ames": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        "clerk-okafor": [[0.6, 0.8, 0.0]],
        "resident": [[0.0, 0.0, 1.0]],
        "nobody-yet": [],
    }

    ranked = rank_known_voices([0.0, 1.0, 0.0], known, threshold=0.5)

    # A person's best stored embedding counts: Ames matches on the second one.
    assert ranked == [("councillor-ames", pytest.approx(1.0)), ("clerk-okafor", pytest.approx(0.8))]
    assert rank_known_voices([0.0, 1.0, 0.0], known, threshold=0.9) == [
        ("councillor-ames", pytest.approx(1.0))
    ]
    assert rank_known_voices([0.0, 1.0, 0.0], {}, threshold=0.0) == []
