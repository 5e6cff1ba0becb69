"""Probing, decoding and loudness normalisation on real recordings and deliberately broken files."""

from __future__ import annotations

import hashlib
import math
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared
from transcription.audio import (
    MAX_SPEECH_GAIN_DB,
    PEAK_CEILING,
    SAMPLE_RATE,
    SPEECH_LEVEL,
    TARGET_LOUDNESS_LUFS,
    AudioError,
    decode,
    file_sha256,
    measure_loudness,
    normalise_loudness,
    peak_level,
    probe,
    speech_level,
    speech_level_gain,
)


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly, skipping the test where it is not installed."""
    if shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def cut(source: Path, target: Path, fraction: float) -> Path:
    """Write the first ``fraction`` of a file's bytes, like an interrupted upload."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


@pytest.mark.parametrize(
    ("name", "codec", "sample_rate", "channels"),
    [
        ("jfk.flac", "flac", 44100, 2),
        ("jfk.mp3", "mp3float", 16000, 1),
        ("jfk.wav", "pcm_s16le", 16000, 1),
    ],
)
def test_probe_describes_real_recordings(name, codec, sample_rate, channels):
    info = probe(shared("whisper-jfk", name))
    assert info.duration == pytest.approx(11.0, abs=0.1)
    assert (info.codec, info.sample_rate, info.channels) == (codec, sample_rate, channels)


BLACK_VIDEO = ["-f", "lavfi", "-i", "color=c=black:s=160x120:d=11"]


@pytest.mark.parametrize(
    ("suffix", "video_input", "codecs"),
    [
        (".mp4", BLACK_VIDEO, ["-c:v", "libx264", "-c:a", "aac"]),
        (".webm", BLACK_VIDEO, ["-c:v", "libvpx", "-c:a", "libopus"]),
        (".m4a", [], ["-c:a", "aac"]),
        (".ogg", [], ["-c:a", "libopus"]),
    ],
)
def test_probe_accepts_video_and_compressed_audio_made_from_a_real_recording(
    tmp_path, suffix, video_input, codecs
):
    target = tmp_path / f"hearing{suffix}"
    jfk = str(shared("whisper-jfk", "jfk.wav"))
    ffmpeg(*video_input, "-i", jfk, "-shortest", *codecs, str(target))
    info = probe(target)
    assert info.duration == pytest.approx(11.0, abs=0.1)
    samples = decode(target, expected_duration=info.duration)
    assert samples.size / SAMPLE_RATE == pytest.approx(11.0, abs=0.1)


def test_probe_rejects_a_missing_file(tmp_path):
    with pytest.raises(AudioError, match="does not exist"):
        probe(tmp_path / "nowhere.mp3")


def test_probe_rejects_an_empty_file(tmp_path):
    empty = tmp_path / "hearing.mp3"
    empty.touch()
    with pytest.raises(AudioError, match="empty"):
        probe(empty)


def test_probe_rejects_text_renamed_to_mp3(tmp_path):
    fake = tmp_path / "hearing.mp3"
    fake.write_text("Minutes of the regular meeting of the city council.\n" * 20)
    with pytest.raises(AudioError, match="not an audio or video file"):
        probe(fake)


def write_mono_wav(path: Path, samples: np.ndarray | None = None) -> Path:
    """Write 16-bit mono samples (none: an empty file) as a WAV file at the pipeline's rate."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        if samples is not None:
            out.writeframes(samples.astype("<i2").tobytes())
    return path


def test_probe_rejects_a_wav_with_no_samples(tmp_path):
    silent = write_mono_wav(tmp_path / "hearing.wav")
    with pytest.raises(AudioError, match="zero length"):
        probe(silent)


def test_probe_rejects_video_without_a_sound_track(tmp_path):
    target = tmp_path / "chamber.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=160x120:d=3", "-c:v", "libx264", str(target))
    with pytest.raises(AudioError, match="no sound track"):
        probe(target)


@pytest.mark.parametrize("name", ["jfk.wav", "jfk.mp3", "jfk.flac"])
def test_probe_rejects_a_recording_cut_short(tmp_path, name):
    truncated = cut(shared("whisper-jfk", name), tmp_path / name, 0.5)
    with pytest.raises(AudioError, match="cut short") as caught:
        probe(truncated)
    # The clerk is told both lengths.
    assert "0:00:11" in str(caught.value)


def test_probe_rejects_a_webm_cut_short(tmp_path):
    whole = tmp_path / "whole.webm"
    ffmpeg("-i", str(shared("whisper-jfk", "jfk.wav")), "-c:a", "libopus", str(whole))
    with pytest.raises(AudioError, match="cut short"):
        probe(cut(whole, tmp_path / "cut.webm", 0.5))


def multi_gigabyte_wav(path: Path, declared_bytes: int, present_bytes: int) -> Path:
    """Write a 16 kHz mono 16-bit WAV header for ``declared_bytes`` of samples, sparse on disk."""
    header = b"RIFF" + struct.pack("<I", 36 + declared_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, 2 * SAMPLE_RATE, 2, 16)
    header += b"data" + struct.pack("<I", declared_bytes)
    with path.open("wb") as out:
        out.write(header)
        out.truncate(len(header) + present_bytes)  # silence, without writing gigabytes
    return path


def test_probe_reads_only_the_ends_of_a_multi_gigabyte_file(tmp_path):
    # 4 GB of 16 kHz 16-bit audio is about 35 hours; decoding it all would take many minutes.
    size = 4_000_000_000
    info = probe(multi_gigabyte_wav(tmp_path / "marathon.wav", size, size))
    assert info.duration == pytest.approx(size / (2 * SAMPLE_RATE))
    with pytest.raises(AudioError, match="cut short"):
        probe(multi_gigabyte_wav(tmp_path / "interrupted.wav", size, size // 3))


def test_decode_gives_16k_mono_float32_of_the_declared_length():
    for name in ("jfk.flac", "jfk.mp3", "jfk.wav"):
        samples = decode(shared("whisper-jfk", name))
        assert samples.dtype == np.float32 and samples.ndim == 1
        assert samples.size / SAMPLE_RATE == pytest.approx(11.0, abs=0.1)


def test_decode_mixes_stereo_down_to_the_mean_of_the_channels():
    import soundfile

    path = shared("faster-whisper-stereo", "stereo_diarization.wav")
    channels, rate = soundfile.read(path, dtype="float32")
    assert rate == SAMPLE_RATE and channels.shape[1] == 2
    samples = decode(path)
    np.testing.assert_allclose(samples, channels.mean(axis=1), atol=1e-4)


def test_decode_reports_progress_up_to_the_whole_file():
    seen: list[float] = []
    decode(shared("whisper-jfk", "jfk.wav"), expected_duration=11.0, progress=seen.append)
    assert seen and seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0, abs=0.02)


def test_file_sha256_matches_the_published_hash():
    path = shared("whisper-jfk", "jfk.flac")
    digest = file_sha256(path)
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest.startswith("63a4b1e4")  # as listed in the data's SOURCE.md


@pytest.mark.parametrize(
    "path",
    [
        ("ami-pyannote-debug", "dev00.wav"),
        ("whisper-jfk", "jfk.wav"),
        ("ami-pyannote-debug", "trn08.wav"),
    ],
)
def test_loudness_matches_pyloudnorm(path):
    import pyloudnorm

    samples = decode(shared(*path))
    expected = pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(samples.astype(np.float64))
    assert measure_loudness(samples) == pytest.approx(expected, abs=0.1)


def test_a_quiet_meeting_clip_gets_louder_without_clipping():
    # dev00 is close-talk AMI audio at about -41 LUFS with peaks near 0.085 of full scale.
    original = decode(shared("ami-pyannote-debug", "dev00.wav"))
    samples = original.copy()
    adjustment = normalise_loudness(samples)
    assert adjustment.loudness_lufs < -35
    assert adjustment.gain_db > 15
    # The gain stops just short of the target here: its peak reaches the ceiling first.
    after = measure_loudness(samples)
    assert after == pytest.approx(adjustment.loudness_lufs + adjustment.gain_db, abs=0.05)
    assert after == pytest.approx(TARGET_LOUDNESS_LUFS, abs=1.0)
    assert peak_level(samples) <= PEAK_CEILING
    # One gain for the whole recording: the waveform's shape is untouched.
    loud = np.abs(original) > 1e-3
    ratios = samples[loud] / original[loud]
    assert ratios.max() - ratios.min() < 1e-5


def test_the_peak_limits_the_gain_of_a_clip_with_a_loud_moment():
    # trn08 has one peak at 0.58 of full scale: raising it to the target loudness would clip.
    samples = decode(shared("ami-pyannote-debug", "trn08.wav"))
    adjustment = normalise_loudness(samples)
    assert 0 < adjustment.gain_db < 20 * math.log10(PEAK_CEILING / 0.5)
    assert adjustment.peak_after <= PEAK_CEILING
    assert peak_level(samples) == pytest.approx(PEAK_CEILING, rel=1e-4)


def test_a_loud_recording_is_turned_down_and_silence_is_left_alone():
    loud = decode(shared("whisper-jfk", "jfk.wav"))
    loud *= 0.99 / peak_level(loud)
    adjustment = normalise_loudness(loud)
    assert adjustment.gain_db < 0
    assert peak_level(loud) <= PEAK_CEILING

    silence = np.zeros(10 * SAMPLE_RATE, dtype=np.float32)
    assert normalise_loudness(silence).gain_db == 0.0
    assert not silence.any()


def test_a_quiet_recording_is_raised_to_the_speech_level_up_to_a_cap():
    recorded = decode(shared("whisper-jfk", "jfk.wav"))
    quiet = recorded * np.float32(0.01)
    raise_by = speech_level_gain(quiet)
    assert raise_by > 10
    assert speech_level(quiet * np.float32(raise_by)) == pytest.approx(SPEECH_LEVEL, rel=1e-4)
    near_silent = recorded * np.float32(1e-5)
    assert speech_level_gain(near_silent) == pytest.approx(10 ** (MAX_SPEECH_GAIN_DB / 20))


def test_a_recording_loud_enough_for_the_diarizer_is_not_raised():
    recorded = decode(shared("whisper-jfk", "jfk.wav"))
    assert speech_level(recorded) > SPEECH_LEVEL
    assert speech_level_gain(recorded) == 1.0
    # Just below the level, a raise under a tenth of a decibel is not made either.
    just_below = recorded * np.float32(SPEECH_LEVEL * 0.999 / speech_level(recorded))
    assert speech_level_gain(just_below) == 1.0
    assert speech_level_gain(np.zeros(SAMPLE_RATE, dtype=np.float32)) == 1.0


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def test_samples_decoded_to_a_scratch_folder_are_the_same_and_leave_no_file(tmp_path):
    from transcription.audio import hand_back_pages

    path = shared("whisper-jfk", "jfk.flac")
    in_memory = decode(path)
    mapped = decode(path, scratch_dir=tmp_path / "scratch")
    assert isinstance(mapped, np.memmap)
    assert np.array_equal(mapped, in_memory)
    # The file has no name: nothing to clean up after a killed worker.
    assert list((tmp_path / "scratch").iterdir()) == []
    # Changes made in place (loudness normalisation) survive handing the pages back.
    mapped *= np.float32(0.5)
    hand_back_pages(mapped)
    assert np.array_equal(mapped, in_memory * np.float32(0.5))
    limited = decode(path, limit_s=2.5, scratch_dir=tmp_path / "scratch")
    assert np.array_equal(limited, in_memory[: int(2.5 * SAMPLE_RATE)])


def test_handing_back_the_pages_of_mapped_samples_lowers_resident_memory(tmp_path):
    from transcription.audio import hand_back_pages

    noise = np.random.default_rng(1).integers(-3000, 3000, 20 * 60 * SAMPLE_RATE)
    wav = write_mono_wav(tmp_path / "long.wav", noise)
    samples = decode(wav, scratch_dir=tmp_path)  # 20 minutes: 77 MB of float32
    hand_back_pages(samples)
    before = _resident_bytes()
    total = float(samples.sum(dtype=np.float64))  # reads every page
    read = _resident_bytes()
    hand_back_pages(samples)
    after = _resident_bytes()
    assert read - before > 60e6
    assert read - after > 60e6
    assert float(samples.sum(dtype=np.float64)) == total


def test_a_bad_file_decoded_to_a_scratch_folder_leaves_nothing(tmp_path):
    bogus = tmp_path / "hearing.mp3"
    bogus.write_text("not audio")
    scratch = tmp_path / "scratch"
    with pytest.raises(AudioError):
        decode(bogus, scratch_dir=scratch)
    assert not scratch.exists() or list(scratch.iterdir()) == []
