"""The whole pipeline and its command line on a real recording, with the real model."""

from __future__ import annotations

import json
import re
import sys
import types
from dataclasses import replace

import jiwer
import numpy as np
import pytest

from tests.conftest import shared
from transcription.__main__ import main
from transcription.audio import AudioError, file_sha256
from transcription.pipeline import PipelineConfig, TranscriptionPipeline
from transcription.schema import Segment, SpeakerTurn, Transcript

# tiny.en (int8, 2 threads) transcribes the JFK clip with no word error after normalisation:
# measured WER 0.0 on the FLAC, MP3 and WAV, with and without VAD and loudness normalisation.
# The bound leaves room for one word of the 22 to change with thread count or library version.
JFK_MAX_WER = 0.05


def normalised(text: str) -> str:
    """Lower-case and drop punctuation, keeping numbers as written."""
    return " ".join(re.sub(r"[^\w\s]", "", text.lower().replace("-", " ")).split())


@pytest.fixture(scope="module")
def jfk_run() -> tuple[Transcript, list[tuple[str, int]]]:
    """Transcribe jfk.flac once for every test here, recording the progress reports."""
    reports: list[tuple[str, int]] = []
    pipeline = TranscriptionPipeline(PipelineConfig())
    transcript = pipeline.run(
        shared("whisper-jfk", "jfk.flac"),
        progress=lambda stage, percent: reports.append((stage, percent)),
    )
    return transcript, reports


@pytest.mark.model
def test_jfk_is_transcribed_within_the_word_error_bound(jfk_run):
    transcript, _ = jfk_run
    reference = shared("whisper-jfk", "jfk.reference.txt").read_text()
    hypothesis = " ".join(segment.text for segment in transcript.segments)
    error_rate = jiwer.wer(normalised(reference), normalised(hypothesis))
    assert error_rate <= JFK_MAX_WER, hypothesis


@pytest.mark.model
def test_word_times_run_forward_inside_their_segment_and_the_recording(jfk_run):
    transcript, _ = jfk_run
    words = [word for segment in transcript.segments for word in segment.words]
    assert len(words) >= 20
    for earlier, later in zip(words, words[1:], strict=False):
        assert earlier.start <= later.start
        assert earlier.end <= later.start + 1e-6
    for word in words:
        assert 0.0 <= word.start <= word.end <= transcript.duration
    for segment in transcript.segments:
        assert segment.words
        assert segment.start <= segment.words[0].start
        assert segment.words[-1].end <= segment.end
    # openai/whisper's own test expects "Americans" at about 1.8 s.
    americans = next(word for word in words if word.text.lower().startswith("americans"))
    assert americans.start == pytest.approx(1.8, abs=0.5)


@pytest.mark.model
def test_the_transcript_records_where_it_came_from(jfk_run):
    transcript, _ = jfk_run
    assert transcript.audio_sha256 == file_sha256(shared("whisper-jfk", "jfk.flac"))
    assert transcript.model == "whisper-tiny.en (ctranslate2 int8)"
    assert transcript.language == "en"
    assert transcript.duration == pytest.approx(11.0, abs=0.05)
    assert transcript.diarizer is None and transcript.diarization_error is None
    for stage in ("probe", "hash", "decode", "load_model", "transcribe", "total"):
        assert transcript.timings[stage] >= 0.0
    assert transcript.timings["total"] >= transcript.timings["transcribe"]
    assert Transcript.from_dict(json.loads(json.dumps(transcript.to_dict()))) == transcript


@pytest.mark.model
def test_progress_runs_from_0_to_100_without_going_back(jfk_run):
    _, reports = jfk_run
    percents = [percent for _, percent in reports]
    assert percents == sorted(percents)
    assert reports[0] == ("probe", 0)
    assert reports[-1] == ("done", 100)
    stages = list(dict.fromkeys(stage for stage, _ in reports))
    config = PipelineConfig()
    expected = ["probe", "decode"]
    expected += ["normalise"] * config.normalise_loudness + ["vad"] * config.vad
    assert stages == [*expected, "load_model", "transcribe", "done"]
    # Transcription reports as it goes, not only at its start and end.
    assert len({percent for stage, percent in reports if stage == "transcribe"}) >= 2


def test_an_unusable_recording_raises_the_reason_for_the_clerk(tmp_path):
    bogus = tmp_path / "hearing.mp3"
    bogus.write_text("not audio")
    with pytest.raises(AudioError, match="not an audio or video file"):
        TranscriptionPipeline(PipelineConfig()).run(bogus)


def install_fake_diarization(monkeypatch, diarize) -> None:
    """Stand in for transcription.diarize and transcription.align with the given diarize()."""

    class FakeDiarizer:
        def diarize(self, samples, progress=None):
            return diarize(samples, progress)

    diarize_module = types.ModuleType("transcription.diarize")
    diarize_module.create_diarizer = lambda config: FakeDiarizer()
    align_module = types.ModuleType("transcription.align")

    def assign_word_speakers(segments: list[Segment], turns: list[SpeakerTurn]):
        return [
            Segment(s.start, s.end, s.text, s.words, speaker=turns[0].speaker) for s in segments
        ]

    align_module.assign_word_speakers = assign_word_speakers
    monkeypatch.setitem(sys.modules, "transcription.diarize", diarize_module)
    monkeypatch.setitem(sys.modules, "transcription.align", align_module)


@pytest.mark.model
def test_a_failing_diarizer_leaves_the_transcript_and_says_why(monkeypatch):
    def broken(samples, progress):
        raise RuntimeError("segmentation model missing")

    install_fake_diarization(monkeypatch, broken)
    transcript = TranscriptionPipeline(PipelineConfig(diarizer="pyannote")).run(
        shared("whisper-jfk", "jfk.wav")
    )
    assert "segmentation model missing" in transcript.diarization_error
    assert "pyannote" in transcript.diarization_error
    assert len(transcript.segments) >= 1 and transcript.speakers == []


@pytest.mark.model
def test_diarization_gets_the_decoded_samples_at_their_own_level(monkeypatch):
    from transcription.audio import decode

    seen = {}

    def one_speaker(samples, progress):
        seen["samples"] = samples.copy()
        progress(0.5)
        progress(1.0)
        return types.SimpleNamespace(
            turns=[SpeakerTurn(0.0, 11.0, "SPEAKER_00")],
            embeddings={"SPEAKER_00": [0.5] * 4},
            name="fake diarizer",
        )

    install_fake_diarization(monkeypatch, one_speaker)
    reports: list[tuple[str, int]] = []
    path = shared("whisper-jfk", "jfk.wav")
    transcript = TranscriptionPipeline(PipelineConfig(diarizer="fake")).run(
        path, progress=lambda stage, percent: reports.append((stage, percent))
    )
    assert transcript.speakers == ["SPEAKER_00"]
    assert transcript.turns == [SpeakerTurn(0.0, 11.0, "SPEAKER_00")]
    assert transcript.speaker_embeddings == {"SPEAKER_00": [0.5] * 4}
    assert transcript.diarizer == "fake diarizer"
    assert {"diarize", "assign_speakers"} <= set(transcript.timings)
    assert [percent for _, percent in reports] == sorted(percent for _, percent in reports)
    # Transcription and diarization share one range; assigning speakers starts where it ends.
    assert reports[reports.index(("assign_speakers", 97)) - 1][1] == 97
    # Loudness normalisation is for recognition; the diarizer sees the recording's own level.
    assert seen["samples"] == pytest.approx(decode(path), abs=1e-6)


def hearing_both_engines(monkeypatch, path, languages):
    """Run the pipeline on ``path`` with stand-ins for the engines; return what the diarizer
    heard (its array, level, and whether it would copy it) and what recognition heard."""
    from transcription import asr
    from transcription import languages as spoken
    from transcription.audio import speech_level
    from transcription.diarize.base import checked_samples

    seen, heard = {}, []

    def diarize(samples, progress):
        seen.update(
            level=speech_level(samples),
            copied=not np.shares_memory(checked_samples(samples), samples),
            samples=np.array(samples),
        )
        return types.SimpleNamespace(
            turns=[SpeakerTurn(0.0, 11.0, "SPEAKER_00")], embeddings={}, name="fake"
        )

    def transcribe(model, samples, *, speech=None, gain=1.0, **_):
        regions = speech if speech is not None else [asr.SpeechRegion(0, samples.size)]
        heard.append(np.concatenate([samples[r.start : r.end] for r in regions]) * gain)
        return [], "en"

    def detect(model, samples, found, languages, pause_times=None, progress=None):
        return [replace(passage, language="en", probability=1.0) for passage in found]

    install_fake_diarization(monkeypatch, diarize)
    monkeypatch.setattr(asr, "load_model", lambda *args, **kwargs: object())
    monkeypatch.setattr(asr, "transcribe", transcribe)
    monkeypatch.setattr(spoken, "detect_passages", detect)
    config = PipelineConfig(diarizer="fake", languages=languages)
    TranscriptionPipeline(config).run(path)
    return seen, np.concatenate(heard)


@pytest.mark.parametrize("languages", ["en", "en,es"], ids=["side by side", "speakers first"])
def test_a_quiet_recording_is_raised_for_the_diarizer_in_place(monkeypatch, tmp_path, languages):
    """The diarizer hears a quiet recording at the level its engines need, in the pipeline's
    own array (raising a copy of it cost 690 MB on a quiet 3-hour hearing), and recognition
    hears it as before: normalised from its recorded level, whichever runs first."""
    import soundfile

    from transcription.audio import SPEECH_LEVEL, decode, speech_level
    from transcription.diarize.base import checked_samples

    loud = decode(shared("whisper-jfk", "jfk.wav"))
    quiet_file = tmp_path / "quiet.wav"
    soundfile.write(quiet_file, loud * np.float32(0.02), 16_000, subtype="FLOAT")
    assert speech_level(decode(quiet_file)) < SPEECH_LEVEL / 5

    seen, heard = hearing_both_engines(monkeypatch, quiet_file, languages)

    assert seen["level"] == pytest.approx(SPEECH_LEVEL, rel=1e-3)
    assert not seen["copied"]
    # What the diarizer heard is what it raised a copy to before.
    np.testing.assert_allclose(seen["samples"], checked_samples(decode(quiet_file)), rtol=1e-5)
    # Recognition hears what it heard before, when nothing was raised in place: the same
    # recording normalised from its recorded level (a diarizer that copies, as a loud
    # recording's does, leaves the pipeline's array alone).
    monkeypatch.setattr("transcription.audio.speech_level_gain", lambda samples: 1.0)
    _, as_before = hearing_both_engines(monkeypatch, quiet_file, languages)
    assert heard.size == as_before.size > 0
    np.testing.assert_allclose(heard, as_before, rtol=1e-5, atol=1e-8)


@pytest.mark.model
def test_command_line_prints_timed_lines_and_json(capsys):
    path = str(shared("whisper-jfk", "jfk.mp3"))
    assert main([path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[0:00:00] And so")
    assert all(re.match(r"^\[\d+:\d{2}:\d{2}\] \S", line) for line in lines)

    assert main([path, "--json", "--no-vad"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "whisper-tiny.en (ctranslate2 int8)"
    assert data["segments"][0]["words"][0]["text"] == "And"
    assert "speaker_embeddings" not in data


def test_command_line_explains_a_bad_file_or_model(tmp_path, capsys):
    bogus = tmp_path / "hearing.mp3"
    bogus.write_text("not audio")
    assert main([str(bogus)]) == 2
    assert "not an audio or video file" in capsys.readouterr().err
    assert main([str(shared("whisper-jfk", "jfk.wav")), "--model", "base.en"]) == 2
    assert "downloading is turned off" in capsys.readouterr().err


def test_per_recording_settings_are_checked_before_any_work():
    with pytest.raises(TypeError, match="not a per-recording setting: whisper_model"):
        TranscriptionPipeline(PipelineConfig()).run("missing.wav", whisper_model="large")


@pytest.mark.model
def test_per_recording_speaker_settings_reach_the_diarizer(monkeypatch):
    configs = []

    class FakeDiarizer:
        def diarize(self, samples, progress=None):
            return types.SimpleNamespace(
                turns=[SpeakerTurn(0.0, 11.0, "SPEAKER_00")], embeddings={}, name="fake"
            )

    install_fake_diarization(monkeypatch, None)
    sys.modules["transcription.diarize"].create_diarizer = lambda config: (
        configs.append(config) or FakeDiarizer()
    )
    pipeline = TranscriptionPipeline(PipelineConfig(diarizer="fake", max_speakers=9))
    pipeline.run(shared("whisper-jfk", "jfk.wav"), num_speakers=4, clustering_threshold=0.6)
    assert (configs[0].num_speakers, configs[0].clustering_threshold) == (4, 0.6)
    assert configs[0].max_speakers == 9
    # The pipeline's own configuration is not changed for the next recording.
    assert pipeline.config.num_speakers is None


@pytest.fixture
def timed_transcription(monkeypatch):
    """Record when transcription runs and let a test make it fail; returns the record."""
    import threading
    import time

    from transcription import asr

    record = {"done": threading.Event(), "fail": False}
    real = asr.transcribe

    def transcribe(*args, **kwargs):
        record["start"] = time.monotonic()
        record["thread"] = threading.current_thread().name
        try:
            if record["fail"]:
                raise RuntimeError("the speech model failed")
            return real(*args, **kwargs)
        finally:
            record["end"] = time.monotonic()
            record["done"].set()

    monkeypatch.setattr(asr, "transcribe", transcribe)
    return record


@pytest.mark.model
def test_speakers_are_found_beside_the_words_one_core_each_then_all(
    monkeypatch, timed_transcription, tmp_path
):
    import threading
    import time

    import torch

    seen = {}

    def diarize(samples, progress):
        seen["start"] = time.monotonic()
        seen["thread"] = threading.current_thread().name
        seen["mapped"] = isinstance(samples, np.memmap)
        progress(0.1)
        seen["threads while transcribing"] = torch.get_num_threads()
        assert timed_transcription["done"].wait(60)
        progress(0.6)
        seen["threads after"] = torch.get_num_threads()
        time.sleep(1.2)  # long enough for the pipeline to report the diarizer's progress
        seen["end"] = time.monotonic()
        return types.SimpleNamespace(
            turns=[SpeakerTurn(0.0, 11.0, "SPEAKER_00")], embeddings={}, name="fake"
        )

    install_fake_diarization(monkeypatch, diarize)
    reports: list[tuple[str, int]] = []
    config = PipelineConfig(diarizer="fake", cpu_threads=2, scratch_dir=str(tmp_path))
    transcript = TranscriptionPipeline(config).run(
        shared("whisper-jfk", "jfk.wav"),
        progress=lambda stage, percent: reports.append((stage, percent)),
    )
    # The decoded samples were kept in a nameless file in the scratch folder, now gone.
    assert seen["mapped"] and list(tmp_path.iterdir()) == []
    assert transcript.speakers == ["SPEAKER_00"]
    assert (
        jiwer.wer(
            "and so my fellow americans ask not what your country can do for you ask what you can"
            " do for your country",
            normalised(" ".join(s.text for s in transcript.segments)),
        )
        <= JFK_MAX_WER
    )
    # Two threads, running at the same time.
    assert seen["thread"] != timed_transcription["thread"]
    assert seen["start"] < timed_transcription["end"]
    assert timed_transcription["start"] < seen["end"]
    # One core for the diarizer while Whisper has the other, both once the words are done.
    assert (seen["threads while transcribing"], seen["threads after"]) == (1, 2)
    # One range for both, never going back, the diarizer's half reported while it finishes.
    percents = [percent for _, percent in reports]
    assert percents == sorted(percents)
    stages = list(dict.fromkeys(stage for stage, _ in reports))
    assert stages[-4:] == ["transcribe", "diarize", "assign_speakers", "done"]


@pytest.mark.model
def test_a_failed_transcription_stops_the_diarizer_beside_it(monkeypatch, timed_transcription):
    import threading

    stopped = threading.Event()

    def diarize(samples, progress):
        try:
            for _ in range(600):
                progress(0.2)
                threading.Event().wait(0.05)
        except Exception:
            stopped.set()
            raise
        return types.SimpleNamespace(turns=[], embeddings={}, name="fake")

    install_fake_diarization(monkeypatch, diarize)
    timed_transcription["fail"] = True
    with pytest.raises(RuntimeError, match="the speech model failed"):
        TranscriptionPipeline(PipelineConfig(diarizer="fake")).run(shared("whisper-jfk", "jfk.wav"))
    # The pipeline waited for the diarizer to stop rather than leave it running.
    assert stopped.is_set()
