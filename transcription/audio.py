"""Read a recording: check it, decode it to 16 kHz mono, and even out its loudness."""

from __future__ import annotations

import hashlib
import math
import mmap
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from transcription.schema import StageProgress, clock

if TYPE_CHECKING:
    import av.audio.stream
    import av.container
    import av.stream

SAMPLE_RATE = 16_000

# A file that stops more than this short of the length its header declares is treated as cut
# short. Encoder padding and priming (MP3, AAC, Opus) account for well under a second.
TRUNCATION_TOLERANCE_S = 1.0
# How much audio before the declared end the probe decodes to prove that the end is there.
END_CHECK_S = 5.0

# Integrated loudness (ITU-R BS.1770) that quiet recordings are raised to. Close-talk meeting
# audio in ../shared/data measures -34 to -43 LUFS, read speech like the JFK clip about -16.
TARGET_LOUDNESS_LUFS = -20.0
# Headroom kept below full scale after the gain, so that nothing clips (-1 dBFS).
PEAK_CEILING = 10 ** (-1 / 20)
# A recording of near silence is not amplified into loud hiss.
MAX_GAIN_DB = 30.0


class AudioError(Exception):
    """A recording that cannot be used, with a reason a clerk can act on."""


@dataclass(frozen=True)
class AudioInfo:
    """What the probe learnt about a recording without decoding all of it."""

    duration: float
    codec: str
    sample_rate: int
    channels: int
    container: str


@dataclass(frozen=True)
class LoudnessAdjustment:
    """The gain applied to a recording and the loudness measured before it."""

    loudness_lufs: float
    gain_db: float
    peak_before: float
    peak_after: float


def file_sha256(path: str | Path) -> str:
    """Return the hex SHA-256 of the file's bytes, reading it in chunks."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def probe(path: str | Path) -> AudioInfo:
    """Check that a file holds complete, decodable audio and describe it.

    Decodes only the first frames and the last few seconds, so it stays fast on files of
    several gigabytes.

    Raises:
        AudioError: the file is missing, empty, not audio or video, has no sound, or is cut short.
    """
    import av

    path = Path(path)
    name = path.name
    if not path.is_file():
        raise AudioError(f"{name}: the file does not exist.")
    if path.stat().st_size == 0:
        raise AudioError(f"{name}: the file is empty (0 bytes). Please upload the recording again.")
    declared_wav_duration = _check_wav_header(path)

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError as error:
        raise AudioError(
            f"{name}: this is not an audio or video file that can be read. "
            "Please upload a recording such as MP3, WAV, M4A, FLAC, OGG, WebM or MP4."
        ) from error
    except (av.error.FFmpegError, OSError) as error:
        raise AudioError(f"{name}: the file could not be opened ({error}).") from error

    with container:
        if not container.streams.audio:
            raise AudioError(
                f"{name}: the file has no sound track, so there is nothing to transcribe."
            )
        stream = container.streams.audio[0]
        codec = stream.codec_context.name
        sample_rate = stream.codec_context.sample_rate or stream.sample_rate or 0
        channels = stream.codec_context.channels or 0

        if not _decodes_some_audio(container, stream):
            raise AudioError(
                f"{name}: the sound track holds no audio that can be decoded; "
                "it is empty or damaged."
            )

        duration = declared_wav_duration or _declared_duration(container, stream)
        if duration is None:
            duration = _scan_duration(container, stream)
        if duration <= 0:
            raise AudioError(f"{name}: the recording has zero length.")

        decoded_end = _decoded_end(container, stream, duration)
        if decoded_end > duration + TRUNCATION_TOLERANCE_S:
            # FFmpeg guessed the length from the bit rate (VBR MP3 without a length header).
            duration = decoded_end
        elif decoded_end < duration - TRUNCATION_TOLERANCE_S:
            raise AudioError(
                f"{name}: the recording appears to be cut short. Its header says it lasts "
                f"{clock(duration)}, but the audio stops at {clock(decoded_end)}. "
                "The upload or copy was probably interrupted; please upload the complete file."
            )
        container_name = container.format.name

    return AudioInfo(
        duration=duration,
        codec=codec,
        sample_rate=int(sample_rate),
        channels=int(channels),
        container=container_name,
    )


def decode(
    path: str | Path,
    *,
    expected_duration: float | None = None,
    progress: StageProgress | None = None,
    limit_s: float | None = None,
    scratch_dir: str | Path | None = None,
) -> np.ndarray:
    """Decode the first audio stream to 16 kHz mono float32 samples (the first ``limit_s``
    seconds only, when given).

    Channels are averaged, so a stereo recording never exceeds full scale when mixed down.

    Args:
        expected_duration: the probed duration, used to size the buffer and report progress.
        progress: called with the fraction (0-1) of the recording decoded so far.
        scratch_dir: write the samples to a nameless file in this folder and return them
            mapped from it (a writable ``np.memmap``) rather than held in memory; the file is
            gone when the samples are, or when the process ends. See :func:`hand_back_pages`.
    """
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as error:
        raise AudioError(f"{Path(path).name}: the file could not be decoded ({error}).") from error
    store = None
    if scratch_dir is not None:
        try:
            Path(scratch_dir).mkdir(parents=True, exist_ok=True)
            # Closed below once mapped, or on any failure; a with-block would end too soon.
            store = tempfile.TemporaryFile(dir=scratch_dir)  # noqa: SIM115
        except BaseException:
            container.close()
            raise

    # Grow one buffer instead of joining a list of chunks: a three-hour hearing is about 700 MB
    # of float32 samples, and a final concatenation would briefly need twice that.
    wanted = limit_s if limit_s is not None else expected_duration
    capacity = 0 if store else int((wanted or 60.0) * SAMPLE_RATE * 1.02) + SAMPLE_RATE
    samples = np.empty(capacity, dtype=np.float32)
    filled = 0
    try:
        for mono in _mono_chunks(container, path, progress, expected_duration, limit_s):
            if store:
                store.write(np.ascontiguousarray(mono, dtype=np.float32).data)
            else:
                if filled + mono.size > samples.size:
                    samples = _grown(samples, filled + mono.size)
                samples[filled : filled + mono.size] = mono
            filled += mono.size
        if filled == 0:
            raise AudioError(
                f"{Path(path).name}: the recording holds no audio that can be decoded."
            )
    except BaseException:
        if store:
            store.close()
        raise
    if store:
        with store:
            store.flush()
            # The mapping keeps its own handle: the nameless file lives as long as the samples.
            return np.memmap(store, dtype=np.float32, mode="r+", shape=(filled,))
    return samples[:filled] if filled == samples.size else samples[:filled].copy()


def _mono_chunks(
    container: av.container.InputContainer,
    path: str | Path,
    progress: StageProgress | None,
    expected_duration: float | None,
    limit_s: float | None,
) -> Iterator[np.ndarray]:
    """Yield the first audio stream as 16 kHz mono float32 chunks, up to ``limit_s`` seconds."""
    import av

    filled = 0
    reported = -1.0
    limit = None if limit_s is None else int(limit_s * SAMPLE_RATE)
    with container:
        if not container.streams.audio:
            raise AudioError(f"{Path(path).name}: the file has no sound track.")
        stream = container.streams.audio[0]
        resampler = av.audio.resampler.AudioResampler(format="fltp", rate=SAMPLE_RATE)
        for chunk in _resampled(container, stream, resampler):
            mono = chunk[0] if chunk.shape[0] == 1 else chunk.mean(axis=0, dtype=np.float32)
            if limit is not None:
                mono = mono[: max(0, limit - filled)]
            yield mono
            filled += mono.size
            if limit is not None and filled >= limit:
                break
            if progress and expected_duration:
                fraction = min(filled / SAMPLE_RATE / expected_duration, 1.0)
                if fraction - reported >= 0.01:
                    progress(fraction)
                    reported = fraction


def hand_back_pages(samples: np.ndarray) -> None:
    """Let go of the pages of samples mapped from a file (:func:`decode`'s ``scratch_dir``).

    They stay in the page cache, written back to the file when changed, and come back on the
    next read, so nothing is lost; until then they no longer count in the process's resident
    memory, and under memory pressure the system can drop them instead of running out.
    """
    mapping = getattr(samples, "_mmap", None)
    if isinstance(mapping, mmap.mmap):
        mapping.madvise(mmap.MADV_DONTNEED)


def measure_loudness(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Return the integrated loudness (ITU-R BS.1770-4, gated) of mono samples in LUFS.

    Gives the same figure as pyloudnorm's meter, but filters in chunks and sums 100 ms
    sub-blocks, so memory stays flat and time linear on recordings of several hours.
    """
    import pyloudnorm
    import scipy.signal

    step = int(0.1 * sample_rate)  # 400 ms gating blocks overlap by 75 %, so step 100 ms
    if samples.size < 4 * step:
        return -math.inf
    filters = list(pyloudnorm.Meter(sample_rate)._filters.values())
    states = [scipy.signal.lfilter_zi(f.b, f.a) * 0.0 for f in filters]
    usable = samples.size - samples.size % step
    energies = np.empty(usable // step, dtype=np.float64)
    chunk = step * 600  # a minute at a time keeps the float64 temporaries small
    for begin in range(0, usable, chunk):
        block = samples[begin : min(begin + chunk, usable)].astype(np.float64)
        for index, weighting in enumerate(filters):
            block, states[index] = scipy.signal.lfilter(
                weighting.b, weighting.a, block, zi=states[index]
            )
            block *= weighting.passband_gain
        squared = np.square(block, out=block).reshape(-1, step).sum(axis=1)
        energies[begin // step : begin // step + squared.size] = squared
    window = np.convolve(energies, np.ones(4), mode="valid") / (4 * step)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(window)
    above_absolute = window[loudness >= -70.0]
    if above_absolute.size == 0:
        return -math.inf
    relative_gate = -0.691 + 10 * math.log10(above_absolute.mean()) - 10.0
    gated = window[(loudness >= -70.0) & (loudness > relative_gate)]
    return float(-0.691 + 10 * math.log10(gated.mean()))


def peak_level(samples: np.ndarray) -> float:
    """Return the largest absolute sample value without copying the samples."""
    if samples.size == 0:
        return 0.0
    return float(max(samples.max(), -samples.min()))


def normalise_loudness(
    samples: np.ndarray, *, target_lufs: float = TARGET_LOUDNESS_LUFS
) -> LoudnessAdjustment:
    """Scale samples in place towards a target loudness, never past -1 dBFS peak.

    One gain for the whole recording keeps the relative level of speakers intact; the gain is
    the smallest of the loudness gain, the peak headroom and a cap for near-silent files.
    """
    loudness = measure_loudness(samples)
    peak = peak_level(samples)
    if not math.isfinite(loudness) or peak == 0.0:
        return LoudnessAdjustment(loudness, 0.0, peak, peak)
    gain_db = min(target_lufs - loudness, 20 * math.log10(PEAK_CEILING / peak), MAX_GAIN_DB)
    gain = np.float32(10 ** (gain_db / 20))
    # float32 rounding could push the loudest sample a hair over the ceiling.
    while peak * float(gain) > PEAK_CEILING:
        gain = np.nextafter(gain, np.float32(0.0))
    samples *= gain
    return LoudnessAdjustment(loudness, 20 * math.log10(float(gain)), peak, peak_level(samples))


# RMS (full scale 1.0) that the loud passages of a quiet recording are raised to before the
# speakers are told apart, about -26 dBFS (transcription.diarize.base.checked_samples says
# why); recordings already that loud are left alone.
SPEECH_LEVEL = 0.05
# Near-silent recordings are not amplified without limit.
MAX_SPEECH_GAIN_DB = 50.0
# A smaller raise than a tenth of a decibel changes nothing a diarizer hears, and is not
# worth a copy of the recording.
_LEAST_SPEECH_GAIN = 10 ** (0.1 / 20)


def speech_level(samples: np.ndarray) -> float:
    """Return the RMS of the loudest passages: the 90th percentile of 0.5 s block RMS."""
    block = SAMPLE_RATE // 2
    usable = samples.size - samples.size % block
    if usable == 0:
        return (
            float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
        )
    blocks = samples[:usable].reshape(-1, block)
    # A few minutes at a time: the squares of a whole three-hour hearing in float64 would be
    # 1.4 GB.
    step = 600
    energy = np.concatenate(
        [
            np.square(blocks[i : i + step], dtype=np.float64).mean(axis=1)
            for i in range(0, blocks.shape[0], step)
        ]
    )
    return float(np.sqrt(np.percentile(energy, 90)))


def speech_level_gain(samples: np.ndarray) -> float:
    """Return the gain that raises a quiet recording's loud passages to :data:`SPEECH_LEVEL`
    (at most :data:`MAX_SPEECH_GAIN_DB`), or 1.0 for a recording loud enough as it is."""
    level = speech_level(samples)
    if not 0.0 < level < SPEECH_LEVEL:
        return 1.0
    gain = min(SPEECH_LEVEL / level, 10 ** (MAX_SPEECH_GAIN_DB / 20))
    return gain if gain >= _LEAST_SPEECH_GAIN else 1.0


def _check_wav_header(path: Path) -> float | None:
    """Return a RIFF WAV file's declared duration, or raise if its data is missing or cut.

    FFmpeg trims a WAV file's duration to the bytes present, so a cut-short WAV looks whole
    to it; the data chunk's declared size in the header is the only evidence.
    """
    with open(path, "rb") as stream:
        header = stream.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        file_size = path.stat().st_size
        byte_rate = 0
        block_align = 1
        while True:
            chunk_header = stream.read(8)
            if len(chunk_header) < 8:
                if byte_rate:
                    raise AudioError(f"{path.name}: the WAV file has no audio data in it.")
                return None
            chunk_id, size = chunk_header[:4], struct.unpack("<I", chunk_header[4:])[0]
            if chunk_id == b"fmt ":
                fmt = stream.read(min(size, 16))
                if len(fmt) >= 14:
                    byte_rate = struct.unpack("<I", fmt[8:12])[0]
                    block_align = struct.unpack("<H", fmt[12:14])[0] or 1
                stream.seek(size - len(fmt) + (size & 1), 1)
                continue
            if chunk_id != b"data":
                stream.seek(size + (size & 1), 1)
                continue
            present = file_size - stream.tell()
            if present < block_align:
                raise AudioError(
                    f"{path.name}: the WAV file contains no audio (zero length). "
                    "Please check the recording and upload it again."
                )
            # Recorders that stream to disk write 0 or 0xFFFFFFFF as a placeholder size.
            if size in (0, 0xFFFFFFFF) or not byte_rate:
                return None
            if present + block_align <= size:
                raise AudioError(
                    f"{path.name}: the recording appears to be cut short. Its header says it "
                    f"lasts {clock(size / byte_rate)}, but the file holds only "
                    f"{clock(present / byte_rate)} of audio. The upload or copy was probably "
                    "interrupted; please upload the complete file."
                )
            return size / byte_rate


def _declared_duration(
    container: av.container.InputContainer, stream: av.stream.Stream
) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _scan_duration(container: av.container.InputContainer, stream: av.stream.Stream) -> float:
    """Find the end of a stream with no declared length by reading packets, not decoding them."""
    container.seek(0)
    end = 0.0
    for packet in container.demux(stream):
        if packet.pts is not None and packet.time_base is not None:
            end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    return end


def _decodes_some_audio(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream
) -> bool:
    import av

    failures = 0
    frames = container.decode(stream)
    while failures < 50:
        try:
            frame = next(frames)
        except StopIteration:
            return False
        except av.error.InvalidDataError:
            failures += 1
            continue
        if frame.samples > 0:
            return True
    return False


def _decoded_end(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, duration: float
) -> float:
    """Return the time at which decodable audio really ends, looking only near the end."""
    import av

    start = max(0.0, duration - END_CHECK_S)
    # FFmpeg gives every stream it demuxes a time base.
    assert stream.time_base is not None
    try:
        container.seek(int(start / stream.time_base), stream=stream, backward=True)
    except av.error.FFmpegError:
        # A stream that cannot seek is short or oddly muxed: read on from where the probe is.
        start = 0.0
    end = 0.0
    decoded_samples = 0
    failures = 0
    frames = container.decode(stream)
    while failures < 50:
        try:
            frame = next(frames)
        except StopIteration:
            break
        except av.error.InvalidDataError:
            failures += 1
            continue
        if frame.pts is not None and frame.time_base is not None and frame.sample_rate:
            end = max(end, float(frame.pts * frame.time_base) + frame.samples / frame.sample_rate)
        elif frame.sample_rate:
            decoded_samples += frame.samples
            end = max(end, start + decoded_samples / frame.sample_rate)
    return end


def _resampled(
    container: av.container.InputContainer, stream: av.stream.Stream, resampler: object
) -> Iterator[np.ndarray]:
    import av

    frames = container.decode(stream)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            break
        except av.error.InvalidDataError:
            # One damaged packet in a long recording should cost a few milliseconds, not the file.
            continue
        # Gaps or jumps in timestamps would make the resampler insert or drop audio.
        frame.pts = None
        for out in resampler.resample(frame):  # type: ignore[attr-defined]
            yield out.to_ndarray()
    for out in resampler.resample(None):  # type: ignore[attr-defined]
        yield out.to_ndarray()


def _grown(samples: np.ndarray, needed: int) -> np.ndarray:
    grown = np.empty(max(needed, int(samples.size * 1.25)), dtype=np.float32)
    grown[: samples.size] = samples
    return grown
