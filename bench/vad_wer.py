"""Measure what voice activity detection and loudness normalisation do to word error.

Runs the pipeline with VAD off/on and loudness normalisation off/on over every real recording
in ../shared/data that has a text reference (and the demo hearing, when present), and prints
WER and time for each setting. AMI meeting clips have speaker turns but no words, so for them it
prints how much reference speech the VAD keeps and how many recognised words fall outside any
reference speech (a sign of words invented over silence).

    python bench/vad_wer.py [--data ../shared/data] [--demo demo] [--skip-ami]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transcription.pipeline import TranscriptionPipeline

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # Run as a script from a checkout, with or without the project installed.
    sys.path.insert(0, str(REPO))
SETTINGS = [
    ("vad off, normalise off", False, False),
    ("vad off, normalise on", False, True),
    ("vad on,  normalise off", True, False),
    ("vad on,  normalise on", True, True),
]


@dataclass
class Recording:
    """A real recording and the reference text(s) its words are scored against."""

    name: str
    path: Path
    # Overlapped speakers have no single true word order; the best-scoring order is used.
    references: list[str]
    note: str = ""


def normalise_text(text: str) -> str:
    """Lower-case, drop punctuation (apostrophes too, so "didn't" = "didnt"); keep numbers."""
    text = text.lower()
    text = re.sub(r"[-\u2013\u2014/]", " ", text)
    text = re.sub(r"[^\w\s]", "", text)
    return " ".join(text.split())


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """Return (substitutions + deletions + insertions, reference word count)."""
    import jiwer

    reference, hypothesis = normalise_text(reference), normalise_text(hypothesis)
    if not reference:
        return len(hypothesis.split()), 0
    output = jiwer.process_words(reference, hypothesis or "")
    return output.substitutions + output.deletions + output.insertions, len(reference.split())


def recordings_with_text(data: Path, demo: Path) -> Iterator[Recording]:
    """Yield every recording that has a word reference."""
    jfk = data / "whisper-jfk"
    reference = (jfk / "jfk.reference.txt").read_text().strip()
    for suffix in ("flac", "mp3", "wav"):
        yield Recording(f"jfk.{suffix}", jfk / f"jfk.{suffix}", [reference])

    stm = data / "pyannote-sample" / "sample.stm"
    lines = [line.split(maxsplit=5) for line in stm.read_text().splitlines() if line.strip()]
    lines.sort(key=lambda fields: float(fields[3]))
    words = " ".join(fields[5] for fields in lines if len(fields) == 6)
    yield Recording("pyannote sample", data / "pyannote-sample" / "sample.wav", [words])

    stereo = data / "faster-whisper-stereo"
    channels = dict(
        line.split("\t", 1)
        for line in (stereo / "stereo_diarization.reference.tsv").read_text().splitlines()
        if "\t" in line
    )
    left, right = channels["left"].strip(), channels["right"].strip()
    yield Recording(
        "stereo (mono downmix)",
        stereo / "stereo_diarization.wav",
        [f"{left} {right}", f"{right} {left}"],
        note="two speakers fully overlapped",
    )

    if demo.is_dir():
        for text in sorted(demo.glob("*.txt")):
            audio = [
                candidate
                for candidate in sorted(demo.glob(f"{text.stem}.*"))
                if candidate.suffix.lower()
                in {".ogg", ".opus", ".mp3", ".wav", ".flac", ".m4a", ".webm", ".mp4"}
            ]
            if audio:
                yield Recording(f"demo {text.stem}", audio[0], [text.read_text()], "synthetic")


def read_turns(rttm: Path) -> list[tuple[float, float]]:
    """Return (start, end) of every speaker turn in an RTTM file."""
    turns = []
    for line in rttm.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[0] == "SPEAKER":
            start, length = float(fields[3]), float(fields[4])
            turns.append((start, start + length))
    return turns


def covered(intervals: list[tuple[float, float]], within: list[tuple[float, float]]) -> float:
    """Return the seconds of the union of ``intervals`` that lie inside the union of ``within``."""
    import numpy as np

    step = 0.01
    end = max([e for _, e in intervals + within], default=0.0)
    frames = int(end / step) + 1
    mask_a = np.zeros(frames, bool)
    mask_b = np.zeros(frames, bool)
    for start, stop in intervals:
        mask_a[int(start / step) : int(stop / step)] = True
    for start, stop in within:
        mask_b[int(start / step) : int(stop / step)] = True
    return float((mask_a & mask_b).sum() * step)


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    """Return the total length of the union of intervals."""
    return covered(intervals, intervals)


def score_text(pipelines: dict[str, TranscriptionPipeline], recordings: list[Recording]) -> None:
    """Print WER and time for every recording under every setting."""
    header = f"{'recording':<34}" + "".join(f"{label:>26}" for label, *_ in SETTINGS)
    print("\nWER (time in seconds) per recording")
    print(header)
    totals = {label: [0, 0, 0.0] for label, *_ in SETTINGS}
    for recording in recordings:
        cells = []
        for label, *_ in SETTINGS:
            pipeline = pipelines[label]
            started = time.perf_counter()
            transcript = pipeline.run(recording.path)
            elapsed = time.perf_counter() - started
            hypothesis = " ".join(segment.text for segment in transcript.segments)
            errors, words = min(
                (word_errors(reference, hypothesis) for reference in recording.references),
                key=lambda pair: pair[0] / max(pair[1], 1),
            )
            totals[label][0] += errors
            totals[label][1] += words
            totals[label][2] += elapsed
            cells.append(f"{errors / max(words, 1):>8.1%} ({elapsed:6.1f} s)     ")
        name = recording.name + (f" [{recording.note}]" if recording.note else "")
        print(f"{name:<34}" + "".join(f"{cell:>26}" for cell in cells))
    print(
        f"{'all (errors / words)':<34}"
        + "".join(
            f"{f'{e / max(w, 1):.1%} {e}/{w} ({t:.1f} s)':>26}" for e, w, t in totals.values()
        )
    )


def score_meetings(pipelines: dict[str, TranscriptionPipeline], data: Path) -> None:
    """Print VAD speech recall and words outside reference speech on the AMI clips."""
    from transcription import asr, audio

    ami = data / "ami-pyannote-debug"
    clips = sorted(ami.glob("*.wav"))
    print("\nAMI clips: reference speech (only-words RTTM) kept by the VAD; recognised words")
    print("in reference speech, and not (no reference turn within 0.2 s: words made up)")
    print(
        f"{'clip':<7}{'speech s':>9}{'VAD kept (raw)':>16}{'VAD kept (norm)':>17}"
        + "".join(f"{label:>26}" for label, *_ in SETTINGS)
    )
    totals = {"speech": 0.0, "raw": 0.0, "norm": 0.0}
    word_totals = {label: [0, 0] for label, *_ in SETTINGS}
    for clip in clips:
        turns = read_turns(ami / f"{clip.stem}.ami_only_words.rttm")
        speech = union_seconds(turns)
        samples = audio.decode(clip, expected_duration=30.0)
        raw_regions = [
            (r.start / audio.SAMPLE_RATE, r.end / audio.SAMPLE_RATE)
            for r in asr.detect_speech(samples)
        ]
        audio.normalise_loudness(samples)
        norm_regions = [
            (r.start / audio.SAMPLE_RATE, r.end / audio.SAMPLE_RATE)
            for r in asr.detect_speech(samples)
        ]
        kept_raw, kept_norm = covered(turns, raw_regions), covered(turns, norm_regions)
        totals["speech"] += speech
        totals["raw"] += kept_raw
        totals["norm"] += kept_norm
        cells = []
        for label, *_ in SETTINGS:
            transcript = pipelines[label].run(clip)
            words = [word for segment in transcript.segments for word in segment.words]
            # A word is "outside" when none of its span touches a reference turn (±0.2 s).
            outside = sum(
                1
                for word in words
                if not any(s - 0.2 < word.end and word.start < e + 0.2 for s, e in turns)
            )
            inside = len(words) - outside
            word_totals[label][0] += inside
            word_totals[label][1] += outside
            cells.append(f"{inside:>4} in speech, {outside:>2} not")
        print(
            f"{clip.stem:<7}{speech:>9.1f}{_share(kept_raw, speech):>16}"
            f"{_share(kept_norm, speech):>17}" + "".join(f"{cell:>26}" for cell in cells)
        )
    print(
        f"{'all':<7}{totals['speech']:>9.1f}{_share(totals['raw'], totals['speech']):>16}"
        f"{_share(totals['norm'], totals['speech']):>17}"
        + "".join(f"{f'{n:>4} in speech, {o:>2} not':>26}" for n, o in word_totals.values())
    )


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def main() -> None:
    """Run every setting over the shared recordings and print the comparison."""
    from transcription.pipeline import PipelineConfig, TranscriptionPipeline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--demo", type=Path, default=REPO / "demo")
    parser.add_argument("--model", help="local CTranslate2 Whisper directory (default: bundled)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-ami", action="store_true", help="skip the AMI meeting clips")
    args = parser.parse_args()

    pipelines = {
        label: TranscriptionPipeline(
            PipelineConfig(
                whisper_model=args.model,
                cpu_threads=args.threads,
                vad=vad,
                normalise_loudness=normalise,
            )
        )
        for label, vad, normalise in SETTINGS
    }
    first = next(iter(pipelines.values()))
    # Load the model before timing anything; every pipeline shares the cached instance.
    from transcription import asr

    asr.load_model(first.model_source, cpu_threads=args.threads)
    print(f"model: {first.model_name}, cpu_threads={args.threads}")

    score_text(pipelines, list(recordings_with_text(args.data, args.demo)))
    if not args.skip_ami:
        score_meetings(pipelines, args.data)


if __name__ == "__main__":
    main()
