"""Run a recording through every stage and return one :class:`Transcript`.

decode -> normalise -> [vad] -> transcribe, with [diarize] beside it -> [assign speakers]. The
audio is decoded once; every stage works on the same array of 16 kHz mono samples.

Transcription and diarization run at the same time, one in each of two threads, each engine
on half the cores: on two cores Whisper (CTranslate2) ran faster on one thread than on two
(tiny.en on 5 minutes of a hearing: 13.8 s against 19.7 s), and the diarizer gained only a
third from its second thread (41 s against 31 s), so one engine per core keeps both busy.
When the words are done the diarizer takes every core. With several languages the speakers
are found first instead, because a change of speaker is where the language may change.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from transcription import asr, audio, languages
from transcription.memory import limit_malloc_arenas
from transcription.schema import JobProgress, Segment, StageProgress, Transcript

if TYPE_CHECKING:
    # Imported where it runs: an import error in an optional diarization stack must not
    # cost the transcript.
    from transcription.diarize.base import Diarization

log = logging.getLogger(__name__)


@dataclass
class PipelineConfig:
    """Settings for one pipeline; the web app builds it from its configuration."""

    # Empty for the bundled tiny.en model, else a local CTranslate2 Whisper directory, or a
    # Hugging Face Hub id when allow_download is set.
    whisper_model: str | None = None
    allow_download: bool = False
    compute_type: str = "int8"
    cpu_threads: int = 2
    # The languages spoken: "en" (the English model above), one other code ("es"), several
    # ("en,es": detected per passage among them) or "auto" (any Whisper knows). Anything but
    # "en" is recognised with the multilingual model below.
    languages: str | None = "en"
    # "base" for the packaged multilingual Whisper base, else as whisper_model.
    multilingual_model: str | None = "base"
    beam_size: int = 5
    # Measured with bench/vad_wer.py (tiny.en int8). WER over every recording with a text
    # reference (JFK x3, pyannote sample, overlapped stereo, demo hearing; 837 words):
    # VAD off 10.8 %, VAD on 10.2 %, VAD on + loudness normalisation 9.2 %; the two-person
    # pyannote conversation 18.5 % -> 12.3 %. On the 12 AMI meeting clips, without VAD Whisper
    # made up 24 words over near-silence and missed crosstalk: 546 words fell inside reference
    # speech, against 570 with VAD + normalisation and none made up. The cost: in one clip
    # (trn07, distant voices) Silero VAD keeps 31 % of the speech and 13 words are lost there;
    # overall it keeps 94.5 % of reference speech time (95.7 % after normalisation).
    vad: bool = True
    # Raises quiet close-talk recordings (AMI: -34 to -43 LUFS) towards -20 LUFS; it helps the
    # VAD hear quiet speakers (trn04 88 % -> 98 % of speech kept) and costs about 1 s per
    # 10 minutes of audio.
    normalise_loudness: bool = True
    # "none" skips diarization; other names are understood by transcription.diarize.
    diarizer: str = "none"
    diarizer_path: str | None = None
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    clustering_threshold: float | None = None
    # Spellings the recogniser is nudged towards (a body's local names): faster-whisper's
    # hotwords, or a prompt before the first window. Both cost accuracy when long: see
    # bench/glossary_wer.py for what was measured and hearings/glossary.py for what is passed.
    hotwords: str | None = None
    initial_prompt: str | None = None
    # Where engines that keep caches (numba, onnxruntime) write them; None keeps their default.
    cache_dir: str | None = None
    # Where a recording's decoded samples are kept, in a nameless file, while it is processed
    # (about 230 MB an hour); None is the system's temporary folder. Use a folder on disk, not
    # a RAM-backed one, or the samples are back in memory.
    scratch_dir: str | None = None


# Settings a clerk may give per hearing: the languages spoken choose between the two models;
# the rest change diarization and the recogniser's hints.
PER_RECORDING_SETTINGS = (
    "languages",
    "num_speakers",
    "min_speakers",
    "max_speakers",
    "clustering_threshold",
    "hotwords",
    "initial_prompt",
)


# Share of overall progress (start, end in percent) each stage reports within.
_STAGES_WITHOUT_DIARIZATION = {
    "probe": (0, 1),
    "decode": (1, 6),
    "normalise": (6, 7),
    "vad": (7, 9),
    "load_model": (9, 10),
    "detect_languages": (10, 14),
    "transcribe": (14, 99),
}
# Transcription and diarization side by side: both report within one range, each half of it.
_STAGES_SIDE_BY_SIDE = {
    "probe": (0, 1),
    "decode": (1, 5),
    "normalise": (5, 6),
    "vad": (6, 7),
    "load_model": (7, 8),
    "transcribe": (8, 97),
    "diarize": (8, 97),
    "assign_speakers": (97, 99),
}
# With more than one language the speakers are told apart first, so that a change of speaker
# is also a place where the language may change (transcription.languages).
_STAGES_SPEAKERS_FIRST = {
    "probe": (0, 1),
    "decode": (1, 5),
    "diarize": (5, 40),
    "normalise": (40, 41),
    "vad": (41, 42),
    "load_model": (42, 43),
    "detect_languages": (43, 47),
    "transcribe": (47, 98),
    "assign_speakers": (98, 99),
}


class TranscriptionPipeline:
    """Turn one recording into a transcript; reuse one instance for many recordings."""

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        # Before the engines' threads start allocating (transcription.memory).
        limit_malloc_arenas()
        # Resolving checks the model setting now, so a bad setting fails before any audio work.
        self.model_source = asr.resolve_model(
            self.config.whisper_model, allow_download=self.config.allow_download
        )
        self.model_name = asr.describe_model(self.model_source, self.config.compute_type)
        languages.parse_languages(self.config.languages)
        self.multilingual_source = asr.resolve_model(
            self.config.multilingual_model,
            allow_download=self.config.allow_download,
            cache_dir=self.config.cache_dir,
        )

    def run(
        self, path: str | Path, progress: JobProgress | None = None, **settings: Any
    ) -> Transcript:
        """Transcribe a recording, reporting ``progress(stage, percent)`` with overall percent.

        Args:
            settings: per-recording diarization settings (``PER_RECORDING_SETTINGS``), e.g.
                ``num_speakers=5`` when the clerk knows how many people spoke.

        Raises:
            audio.AudioError: the recording is not usable (reason suitable for a clerk).
            asr.ModelError: the speech model cannot be loaded.
        """
        unknown = set(settings) - set(PER_RECORDING_SETTINGS)
        if unknown:
            raise TypeError(f"not a per-recording setting: {', '.join(sorted(unknown))}")
        given = {name: value for name, value in settings.items() if value is not None}
        config = replace(self.config, **given) if given else self.config
        spoken = languages.parse_languages(config.languages)
        source = self.model_source if spoken == ("en",) else self.multilingual_source
        speakers_first, side_by_side = _order(config, spoken)
        if speakers_first:
            stages = _STAGES_SPEAKERS_FIRST
        elif side_by_side:
            stages = _STAGES_SIDE_BY_SIDE
        else:
            stages = _STAGES_WITHOUT_DIARIZATION
        report = _ProgressReport(progress, stages)
        timings: dict[str, float] = {}
        started = time.perf_counter()

        with _timed(timings, "probe"):
            report("probe", 0.0)
            info = audio.probe(path)
        with _timed(timings, "hash"):
            sha256 = audio.file_sha256(path)
        with _timed(timings, "decode"):
            samples = audio.decode(
                path,
                expected_duration=info.duration,
                progress=lambda fraction: report("decode", fraction),
                scratch_dir=config.scratch_dir or tempfile.gettempdir(),
            )
        with _pages_handed_back(samples):
            return self._process(config, samples, sha256, spoken, source, report, timings, started)

    def _process(
        self,
        config: PipelineConfig,
        samples: np.ndarray,
        sha256: str,
        spoken: tuple[str, ...] | None,
        source: asr.ModelSource,
        report: _ProgressReport,
        timings: dict[str, float],
        started: float,
    ) -> Transcript:
        duration = samples.size / audio.SAMPLE_RATE
        speakers_first, side_by_side = _order(config, spoken)

        # The diarizers were tuned on recordings at their own level: they hear the samples
        # before loudness normalisation, which changes them in place. A quiet recording is
        # raised for them, in place: the diarizer would otherwise raise a copy of it (690 MB
        # for a quiet 3-hour hearing). Recognition hears what it heard before.
        raise_by = audio.speech_level_gain(samples) if speakers_first or side_by_side else 1.0
        if raise_by >= 10 ** (audio.MAX_SPEECH_GAIN_DB / 20):
            # Near silence, still quiet at the cap, which the diarizer's own check would
            # raise again: it is left to that check's copy, as before.
            raise_by = 1.0
        speakers: Diarization | str | None = None
        if speakers_first:
            if raise_by > 1.0:
                samples *= np.float32(raise_by)
            try:
                speakers = self._find_speakers(
                    config,
                    samples,
                    timings,
                    lambda fraction: report("diarize", fraction),
                    config.cpu_threads,
                )
            finally:
                if raise_by > 1.0:
                    # Back to the recorded level, to the last bit for most samples.
                    samples /= np.float32(raise_by)

        gain_db = 0.0
        if config.normalise_loudness:
            with _timed(timings, "normalise"):
                report("normalise", 0.0)
                adjustment = audio.normalise_loudness(samples)
            gain_db = adjustment.gain_db
            log.info(
                "loudness %.1f LUFS, gain %+.1f dB, peak %.2f -> %.2f",
                adjustment.loudness_lufs,
                adjustment.gain_db,
                adjustment.peak_before,
                adjustment.peak_after,
            )

        speech = None
        if config.vad:
            with _timed(timings, "vad"):
                report("vad", 0.0)
                speech = asr.detect_speech(samples)

        # Side by side, the diarizer hears the recording at its own level (raised, if quiet)
        # while Whisper is given each piece at the normalised level: one array for both, not
        # a second copy of a long recording.
        gain = 1.0
        if side_by_side and (gain_db or raise_by > 1.0):
            gain = 10 ** (gain_db / 20) / raise_by
            samples *= np.float32(1 / gain)

        asr_threads = max(1, config.cpu_threads // 2) if side_by_side else config.cpu_threads
        with _timed(timings, "load_model"):
            report("load_model", 0.0)
            model = asr.load_model(
                source, compute_type=config.compute_type, cpu_threads=asr_threads
            )
        if spoken is not None and len(spoken) == 1:
            runs = [(spoken[0], speech)]
        else:
            regions = speech if speech is not None else [asr.SpeechRegion(0, samples.size)]
            with _timed(timings, "detect_languages"):
                report("detect_languages", 0.0)
                changes: list[float] = []
                if speakers is not None and not isinstance(speakers, str):
                    changes = languages.speaker_changes(speakers.turns)
                found = languages.detect_passages(
                    model,
                    samples,
                    languages.passages(regions, changes),
                    spoken,
                    progress=lambda fraction: report("detect_languages", fraction),
                )
            runs = [(run.language, run.regions) for run in languages.language_runs(found)]

        def transcribe(progress: StageProgress) -> list[Segment]:
            with _timed(timings, "transcribe"):
                progress(0.0)
                segments = []
                for language, regions_heard in runs:
                    part, _ = asr.transcribe(
                        model,
                        samples,
                        language=language,
                        beam_size=config.beam_size,
                        speech=regions_heard,
                        progress=progress,
                        hotwords=config.hotwords,
                        initial_prompt=config.initial_prompt,
                        gain=gain,
                    )
                    segments.extend(part)
                return segments

        if side_by_side:
            segments, speakers = self._side_by_side(config, samples, timings, report, transcribe)
        else:
            segments = transcribe(lambda fraction: report("transcribe", fraction))
        language = languages.main_language(segments) or (spoken[0] if spoken else "en")

        transcript = Transcript(
            segments=segments,
            language=language,
            duration=duration,
            model=asr.describe_model(source, config.compute_type),
            audio_sha256=sha256,
            timings=timings,
        )
        if speakers is not None:
            self._assign_speakers(config, transcript, speakers, timings, report)
        timings["total"] = round(time.perf_counter() - started, 3)
        report("done", 1.0)
        return transcript

    def _side_by_side(
        self,
        config: PipelineConfig,
        samples: np.ndarray,
        timings: dict[str, float],
        report: _ProgressReport,
        transcribe: Callable[[StageProgress], list[Segment]],
    ) -> tuple[list[Segment], Diarization | str]:
        """Transcribe in this thread while the diarizer runs in another; return both results.

        Only this thread reports progress (the job's progress pipe has one writer): the half
        of the range done by each engine. torch's thread count belongs to the thread that sets
        it, so the diarizer's own thread sets it, first to its half of the cores and, from its
        next progress report after the words are done, to all of them. If transcription fails,
        the diarizer stops at its next report instead of running on for nothing.
        """
        shared = {"fraction": 0.0, "threads": max(1, config.cpu_threads // 2), "stop": False}
        outcome: list[Diarization | str] = []

        def diarizer_progress(fraction: float) -> None:
            shared["fraction"] = fraction
            if shared["stop"]:
                raise _Stopped("transcription failed")
            _use_torch_threads(int(shared["threads"]))

        def diarize() -> None:
            outcome.append(
                self._find_speakers(
                    config, samples, timings, diarizer_progress, int(shared["threads"])
                )
            )

        worker = threading.Thread(target=diarize, name="diarize", daemon=True)
        worker.start()
        try:
            segments = transcribe(
                lambda fraction: report("transcribe", (fraction + float(shared["fraction"])) / 2)
            )
        except BaseException:
            shared["stop"] = True
            worker.join()
            raise
        shared["threads"] = config.cpu_threads
        report("transcribe", (1.0 + float(shared["fraction"])) / 2)
        while worker.is_alive():
            worker.join(_WAIT_SECONDS)
            report("diarize", (1.0 + float(shared["fraction"])) / 2)
        return segments, outcome[0]

    def _find_speakers(
        self,
        config: PipelineConfig,
        samples: np.ndarray,
        timings: dict[str, float],
        progress: StageProgress,
        threads: int,
    ) -> Diarization | str:
        """Run the diarizer on ``threads`` cores; on failure, return why, so the words are
        still transcribed."""
        # Set on every run: torch's setting is the calling thread's, and another run in this
        # process may have left it at another count.
        _use_torch_threads(threads)
        try:
            with _timed(timings, "diarize"):
                from transcription.diarize import create_diarizer

                progress(0.0)
                # The diarizer reports the fraction (0-1) of its own work done.
                return create_diarizer(config).diarize(samples, progress=progress)
        # Any failure here, even an import error in an optional stack, must not cost the
        # transcript.
        except Exception as error:
            log.exception("diarization with %s failed", config.diarizer)
            return _failure(config, error)

    def _assign_speakers(
        self,
        config: PipelineConfig,
        transcript: Transcript,
        found: Diarization | str,
        timings: dict[str, float],
        report: _ProgressReport,
    ) -> None:
        """Give the transcript's words their speakers in place; on failure, record why."""
        if not isinstance(found, str):
            try:
                with _timed(timings, "assign_speakers"):
                    from transcription.align import assign_word_speakers

                    report("assign_speakers", 0.0)
                    transcript.segments = assign_word_speakers(transcript.segments, found.turns)
            except Exception as error:
                log.exception("assigning speakers failed")
                found = _failure(config, error)
            else:
                transcript.turns = list(found.turns)
                transcript.speaker_embeddings = dict(found.embeddings)
                transcript.diarizer = found.name
                return
        transcript.diarizer = config.diarizer
        transcript.diarization_error = found


def _order(config: PipelineConfig, spoken: tuple[str, ...] | None) -> tuple[bool, bool]:
    """Return whether the speakers are found first, and whether beside the transcription.

    With several languages the speakers are found first, so that a change of speaker is also
    a place where the language may change (transcription.languages); otherwise at the same
    time as the words, each on half of the cores.
    """
    diarize = config.diarizer != "none"
    speakers_first = diarize and (spoken is None or len(spoken) > 1)
    return speakers_first, diarize and not speakers_first


# How often the pages of the decoded samples that were read are handed back (see below).
# A pass over the whole recording (the diarizer's level and finite checks) reads 690 MB of a
# 3-hour hearing in about a second: handed back each second, all of it was resident at once,
# on top of both engines (1.91 GB at the peak). A hand-back costs 0.2 ms when little is
# resident, 6 ms for 200 MB.
_HAND_BACK_SECONDS = 0.1


@contextmanager
def _pages_handed_back(samples: np.ndarray) -> Iterator[None]:
    """Hand back, every second, the pages of the samples that the stages have read.

    The samples are mapped from a file; a page read stays resident until handed back, so
    without this every stage that reads the whole recording would leave all of it resident
    (700 MB for three hours) although each stage works on a few seconds at a time.
    """
    stop = threading.Event()

    def hand_back() -> None:
        while not stop.wait(_HAND_BACK_SECONDS):
            audio.hand_back_pages(samples)

    worker = threading.Thread(target=hand_back, name="hand back pages", daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join()


# How often the transcribing thread reports the diarizer's progress once the words are done.
_WAIT_SECONDS = 0.5


class _Stopped(Exception):
    """Raised in the diarizer's thread to end it early."""


def _use_torch_threads(count: int) -> None:
    """Set the calling thread's torch thread count (the diarizers run on torch)."""
    try:
        import torch
    except ImportError:  # the diarizer will say why it cannot run
        return
    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


def _failure(config: PipelineConfig, error: Exception) -> str:
    return f"the {config.diarizer} diarizer failed ({type(error).__name__}: {error})"


class _ProgressReport:
    """Map (stage, fraction of that stage) to one overall percent that never goes back."""

    def __init__(self, callback: JobProgress | None, stages: dict[str, tuple[int, int]]) -> None:
        self.callback = callback
        self.stages = stages
        self.last: tuple[str, int] | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        if self.callback is None:
            return
        if stage == "done":
            percent = 100
        else:
            low, high = self.stages[stage]
            percent = int(low + (high - low) * min(max(fraction, 0.0), 1.0))
        if self.last is not None:
            percent = max(percent, self.last[1])
        if (stage, percent) != self.last:
            self.last = (stage, percent)
            self.callback(stage, percent)


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = round(time.perf_counter() - started, 3)
