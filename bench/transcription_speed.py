"""Speed of the transcription pipeline against the bare engine, on a recording of 10+ minutes.

The recording is built in a temporary directory by joining the real recordings in
../shared/data (and the demo hearing, when present). Measured in the same run, each in its own
fresh process:

(a) bare engine: faster-whisper's ``WhisperModel.transcribe(path, ...)`` with the pipeline's
    settings and word timestamps, its segments consumed fully;
(b) pipeline: ``TranscriptionPipeline(config).run(path)`` (probe, hash, decode, normalise, VAD,
    transcribe; no diarization).

Prints wall time, real-time factor and peak memory of each, and the ratio (b)/(a); the target
is at most 1.1. :func:`build_long_recording` and :func:`measure_in_subprocess` are meant for
further measurements (a full job through the worker, for one).

    python bench/transcription_speed.py [--minutes 10] [--threads 2] [--repeats 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # Run as a script from a checkout, with or without the project installed.
    sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data"
DEMO = REPO / "demo"
AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".webm", ".mp4"}
# A short pause between joined recordings, as between speakers at a hearing.
GAP_S = 0.5


@dataclass
class Measurement:
    """What one callable cost in a fresh process."""

    wall_s: float
    peak_rss_mb: float
    result: Any


def source_recordings(data: Path = DATA, demo: Path = DEMO) -> list[Path]:
    """Return each distinct real recording once: AMI clips, pyannote sample, JFK, stereo, demo."""
    sources = sorted((data / "ami-pyannote-debug").glob("*.wav"))
    sources += [
        data / "pyannote-sample" / "sample.wav",
        data / "whisper-jfk" / "jfk.flac",
        data / "faster-whisper-stereo" / "stereo_diarization.wav",
    ]
    if demo.is_dir():
        sources += sorted(p for p in demo.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
    return [path for path in sources if path.is_file()]


def build_long_recording(
    directory: Path,
    *,
    min_seconds: float = 600.0,
    data: Path = DATA,
    demo: Path = DEMO,
    name: str = "long-hearing.wav",
) -> tuple[Path, float]:
    """Join the real recordings (repeating the list only if still short) into one 16 kHz WAV.

    Returns:
        The path of the recording and its duration in seconds.
    """
    import numpy as np
    import soundfile

    from transcription.audio import SAMPLE_RATE, decode

    sources = source_recordings(data, demo)
    if not sources:
        raise FileNotFoundError(f"no recordings found under {data}")
    gap = np.zeros(int(GAP_S * SAMPLE_RATE), dtype=np.float32)
    pieces: list[np.ndarray] = []
    total = 0
    while total < min_seconds * SAMPLE_RATE:
        for source in sources:
            samples = decode(source)
            pieces += [samples, gap]
            total += samples.size + gap.size
            if total >= min_seconds * SAMPLE_RATE:
                break
    recording = np.concatenate(pieces)
    path = directory / name
    soundfile.write(path, recording, SAMPLE_RATE, subtype="PCM_16")
    return path, recording.size / SAMPLE_RATE


def measure_in_subprocess(target: Callable[..., Any], *args: Any) -> Measurement:
    """Run ``target(*args)`` in a fresh process; return its wall time, peak memory and result.

    ``target`` must be importable at module level (processes are spawned, not forked), so
    nothing loaded by an earlier measurement is shared or already warm.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_measured_child, args=(sender, target, args))
    process.start()
    sender.close()
    outcome = receiver.recv()
    process.join()
    if isinstance(outcome, BaseException):
        raise RuntimeError(f"{target.__name__} failed in its subprocess") from outcome
    return outcome


def _measured_child(sender: Any, target: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        started = time.perf_counter()
        result = target(*args)
        wall = time.perf_counter() - started
        # ru_maxrss is in kilobytes on Linux.
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sender.send(Measurement(wall_s=wall, peak_rss_mb=peak_mb, result=result))
    except BaseException as error:  # sent back so the parent can report it
        sender.send(error)
        raise


def bare_engine(path: str, threads: int, vad: bool) -> dict[str, Any]:
    """Load faster-whisper's model and transcribe the file as its own API does it."""
    from faster_whisper import WhisperModel

    from transcription.asr import bundled_model_dir

    started = time.perf_counter()
    model = WhisperModel(
        str(bundled_model_dir()), device="cpu", compute_type="int8", cpu_threads=threads
    )
    loaded = time.perf_counter()
    segments, _ = model.transcribe(
        path, language="en", beam_size=5, word_timestamps=True, vad_filter=vad
    )
    texts = [segment.text for segment in segments]
    words = sum(len(text.split()) for text in texts)
    return {
        "load_s": loaded - started,
        "run_s": time.perf_counter() - loaded,
        "words": words,
        "text": " ".join(texts),
    }


def pipeline(path: str, threads: int) -> dict[str, Any]:
    """Run the transcription pipeline with its default settings (no diarization)."""
    from transcription.pipeline import PipelineConfig, TranscriptionPipeline

    transcript = TranscriptionPipeline(PipelineConfig(cpu_threads=threads)).run(path)
    timings = transcript.timings
    return {
        "load_s": timings["load_model"],
        "run_s": timings["total"] - timings["load_model"],
        "words": sum(len(segment.text.split()) for segment in transcript.segments),
        "text": " ".join(segment.text for segment in transcript.segments),
        "timings": timings,
    }


def main() -> None:
    """Build the long recording, time both runs and print the comparison."""
    import jiwer

    from bench.vad_wer import normalise_text
    from transcription.pipeline import PipelineConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="shortest recording to build")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each; the fastest counts")
    args = parser.parse_args()
    vad = PipelineConfig().vad

    with tempfile.TemporaryDirectory(prefix="transcription-speed-") as folder:
        path, duration = build_long_recording(Path(folder), min_seconds=args.minutes * 60)
        print(f"recording: {duration / 60:.1f} min, joined from {len(source_recordings())} files")
        print(f"settings: tiny.en int8, cpu_threads={args.threads}, beam 5, VAD {vad}\n")

        runs: dict[str, list[Measurement]] = {"bare engine": [], "pipeline": []}
        for _ in range(args.repeats):
            runs["bare engine"].append(
                measure_in_subprocess(bare_engine, str(path), args.threads, vad)
            )
            runs["pipeline"].append(measure_in_subprocess(pipeline, str(path), args.threads))

    best = {label: min(found, key=lambda m: m.result["run_s"]) for label, found in runs.items()}
    print(f"{'':<12}{'load s':>8}{'run s':>9}{'x real time':>13}{'peak MB':>9}{'words':>7}")
    for label, measurement in best.items():
        result = measurement.result
        speed = duration / result["run_s"]
        print(
            f"{label:<12}{result['load_s']:>8.1f}{result['run_s']:>9.1f}{speed:>13.1f}"
            f"{measurement.peak_rss_mb:>9.0f}{result['words']:>7}"
        )
    bare, ours = best["bare engine"], best["pipeline"]
    run_ratio = ours.result["run_s"] / bare.result["run_s"]
    print(f"\npipeline / bare, run (model loaded):  {run_ratio:.3f}  (target <= 1.1)")
    print(f"pipeline / bare, whole process:       {ours.wall_s / bare.wall_s:.3f}")
    print(f"pipeline / bare, peak memory:         {ours.peak_rss_mb / bare.peak_rss_mb:.3f}")
    timings = ours.result["timings"]
    stages = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in timings.items())
    print(f"pipeline stages (s): {stages}")
    agreement = jiwer.wer(
        normalise_text(bare.result["text"]) or "-", normalise_text(ours.result["text"]) or "-"
    )
    print(
        f"word difference between the two transcripts: {agreement:.1%} "
        "(the pipeline evens out loudness first; the bare engine does not)"
    )


if __name__ == "__main__":
    main()
