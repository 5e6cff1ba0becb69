"""Choosing, checking and loading the Whisper model; voice detection and transcription."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.conftest import shared
from transcription.asr import (
    REQUIRED_MODEL_FILES,
    ModelError,
    bundled_model_dir,
    describe_model,
    detect_speech,
    load_model,
    resolve_model,
    transcribe,
)
from transcription.audio import SAMPLE_RATE, decode


def test_no_setting_means_the_bundled_tiny_en_model():
    source = resolve_model(None)
    assert source.local
    assert source.location == str(bundled_model_dir().resolve())
    assert describe_model(source, "int8") == "whisper-tiny.en (ctranslate2 int8)"
    assert resolve_model("").location == source.location
    assert resolve_model("tiny.en").location == source.location


def test_a_local_model_directory_is_accepted_and_named_after_itself(tmp_path):
    copy = tmp_path / "faster-whisper-tiny.en"
    copy.mkdir()
    for name in REQUIRED_MODEL_FILES:
        (copy / name).symlink_to(bundled_model_dir() / name)
    source = resolve_model(str(copy))
    assert (source.local, source.location, source.name) == (True, str(copy), "whisper-tiny.en")


def test_a_directory_without_model_files_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="not a CTranslate2 Whisper model directory") as caught:
        resolve_model(str(tmp_path))
    assert "model.bin" in str(caught.value) and "tokenizer.json" in str(caught.value)


def test_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "whisper-small"))


def test_a_file_is_not_a_model_directory(tmp_path):
    model_file = tmp_path / "model.bin"
    model_file.write_bytes(b"\0" * 16)
    with pytest.raises(ModelError, match="not a model directory"):
        resolve_model(str(model_file))


@pytest.mark.parametrize("name", ["base.en", "large-v3", "Systran/faster-whisper-small"])
def test_a_hub_model_is_refused_unless_downloads_are_allowed(name):
    with pytest.raises(ModelError, match="downloading is turned off") as caught:
        resolve_model(name)
    assert "local directory" in str(caught.value)


def test_an_allowed_hub_model_is_passed_on_by_id():
    source = resolve_model("Systran/faster-whisper-small", allow_download=True)
    assert (source.local, source.location, source.name) == (
        False,
        "Systran/faster-whisper-small",
        "whisper-small",
    )


def test_an_unknown_name_is_refused():
    with pytest.raises(ModelError, match="neither a local directory nor a known model"):
        resolve_model("the-big-one")


def test_voice_detection_finds_the_speech_and_nothing_in_silence():
    samples = decode(shared("whisper-jfk", "jfk.wav"))
    regions = detect_speech(samples)
    assert regions
    spoken = sum(region.end - region.start for region in regions) / SAMPLE_RATE
    assert spoken > 9.0
    assert detect_speech(np.zeros(5 * SAMPLE_RATE, dtype=np.float32)) == []


@pytest.mark.model
def test_the_model_loads_once_per_process():
    source = resolve_model(None)
    first = load_model(source, cpu_threads=2)
    assert load_model(resolve_model("tiny.en"), cpu_threads=2) is first


@pytest.mark.model
def test_transcribing_speech_regions_keeps_times_on_the_whole_recording():
    # Put four seconds of silence before the clip: voice detection cuts it out, and the word
    # times must still point into the original recording, after the silence.
    clip = decode(shared("whisper-jfk", "jfk.wav"))
    samples = np.concatenate([np.zeros(4 * SAMPLE_RATE, dtype=np.float32), clip])
    model = load_model(resolve_model(None), cpu_threads=2)
    segments, language = transcribe(model, samples, speech=detect_speech(samples))
    words = [word for segment in segments for word in segment.words]
    assert language == "en"
    assert words[0].text.lower().startswith("and")
    assert 3.5 < words[0].start < 5.0
    assert words[-1].end <= samples.size / SAMPLE_RATE


@pytest.mark.model
def test_no_speech_regions_means_no_segments():
    model = load_model(resolve_model(None), cpu_threads=2)
    silence = np.zeros(3 * SAMPLE_RATE, dtype=np.float32)
    assert transcribe(model, silence, speech=[]) == ([], "en")


def test_long_speech_is_given_to_whisper_in_pieces_cut_at_pauses(monkeypatch):
    from transcription import asr

    monkeypatch.setattr(asr, "MAX_PIECE_SECONDS", 10)
    second = SAMPLE_RATE
    regions = [
        asr.SpeechRegion(a * second, b * second) for a, b in [(0, 4), (5, 9), (12, 30), (31, 33)]
    ]
    pieces = [
        [(r.start // second, r.end // second) for r in piece] for piece in asr._pieces(regions)
    ]
    # 4 + 4 s fit in one piece; 18 s of one region is a piece of its own.
    assert pieces == [[(0, 4), (5, 9)], [(12, 30)], [(31, 33)]]


@pytest.mark.model
def test_a_hearing_transcribed_in_pieces_reads_as_in_one_call(monkeypatch):
    from transcription import asr

    clip = decode(shared("whisper-jfk", "jfk.wav"))
    pause = np.zeros(3 * SAMPLE_RATE, dtype=np.float32)
    samples = np.concatenate([clip, pause, clip, pause, clip])
    speech = detect_speech(samples)
    assert len(speech) == 3
    model = load_model(resolve_model(None), cpu_threads=2)
    whole, _ = transcribe(model, samples, speech=speech)
    monkeypatch.setattr(asr, "MAX_PIECE_SECONDS", 12)  # one clip (11 s) a piece
    assert len(list(asr._pieces(speech))) == 3
    pieced, language = transcribe(model, samples, speech=speech)
    assert language == "en" and {s.language for s in pieced} == {"en"}
    # The same words; only punctuation may differ, as Whisper no longer reads the previous
    # piece's text before each piece.
    text = [
        " ".join(re.sub(r"[^\w\s]", " ", " ".join(s.text for s in segments).lower()).split())
        for segments in (whole, pieced)
    ]
    assert text[1].count("ask not what your country") == 3
    assert text[0] == text[1]
    # The third clip's words are timed on the whole recording, past the two pauses.
    third = [
        w for s in pieced for w in s.words if w.start > 2 * (clip.size + pause.size) / SAMPLE_RATE
    ]
    assert third and third[0].text.lower().startswith("and")


def test_the_spectrogram_made_in_blocks_is_the_engines_own():
    """Whisper's features of a long piece, made 30 s of frames at a time, equal those of
    faster-whisper's own extractor, at lengths around the block edges (to float32 rounding,
    which another machine's BLAS may round differently per block)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    from transcription.asr import bounded_feature_extractor
    from transcription.audio import decode

    clips = ["dev00", "dev01"] + [f"trn{i:02d}" for i in range(10)]
    speech = np.concatenate([decode(shared("ami-pyannote-debug", f"{c}.wav")) for c in clips])
    own, bounded = FeatureExtractor(), bounded_feature_extractor({})
    assert speech.size > 300 * 16_000
    # 9,000 frames exactly (three blocks), and lengths either side of the blocks' edges.
    lengths = [speech.size, 300 * 16_000, 9_000 * 160 - 160, 95 * 16_000 + 160, 90 * 16_000]
    for samples in [*lengths, 61 * 16_000 + 37, 60 * 16_000, 12 * 16_000]:
        piece = speech[:samples]
        found, expected = bounded(piece), own(piece)
        assert found.shape == expected.shape, samples
        np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6, err_msg=str(samples))
    piece = speech[: 200 * 16_000 + 37]
    found, expected = bounded(piece, chunk_length=20), own(piece, chunk_length=20)
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-6)
    assert (bounded.n_samples, bounded.nb_max_frames) == (own.n_samples, own.nb_max_frames)
    assert bounded.nb_max_frames == 2_000
