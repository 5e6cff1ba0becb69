"""Peak memory of each stage of the speech pipeline on one recording, and its speed.

What grows with the length of a recording shows up as a stage whose peak grows with it: run
this on files of different lengths (``python bench/hearing_audio.py OUT.wav`` makes a
32-minute hearing-shaped one; join copies with sox for longer ones). Resident memory is
sampled every 0.2 s and charged to the stage the pipeline last reported.

    python bench/stage_memory.py FILE [--languages en] [--diarizer auto]
    python bench/stage_memory.py hearing.wav --repeat 2     # a 1-hour file: 2 copies joined
    make bench-long     # the 32-minute hearing, then 1 and 6 copies of it (1 and 3 hours)
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def joined_copies(path: str, copies: int) -> str:
    """Write ``copies`` copies of a recording one after another to a WAV file; return its path."""
    import tempfile

    import soundfile

    out = Path(tempfile.mkdtemp(prefix="long-recording-")) / f"{Path(path).stem}x{copies}.wav"
    info = soundfile.info(path)
    with soundfile.SoundFile(
        out, "w", samplerate=info.samplerate, channels=info.channels, subtype="PCM_16"
    ) as joined:
        for _ in range(copies):
            for block in soundfile.blocks(path, blocksize=1 << 20, dtype="int16"):
                joined.write(block)
    return str(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--languages", default="en")
    parser.add_argument("--diarizer", default="auto")
    parser.add_argument(
        "--scratch-dir", help="where the decoded samples are kept (default: the system's temp)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="join this many copies of FILE and process that"
    )
    options = parser.parse_args()
    if options.repeat > 1:
        options.file = joined_copies(options.file, options.repeat)
        try:
            measure(options)
        finally:
            Path(options.file).unlink()
            Path(options.file).parent.rmdir()
    else:
        measure(options)


def measure(options: argparse.Namespace) -> None:
    """Process the file once, printing its speed and each stage's peak memory."""
    from transcription.pipeline import PipelineConfig, TranscriptionPipeline

    stage, peaks, done = ["start"], {}, threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks[stage[0]] = max(peaks.get(stage[0], 0), resident_bytes())
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    pipeline = TranscriptionPipeline(
        PipelineConfig(
            diarizer=options.diarizer,
            languages=options.languages,
            scratch_dir=options.scratch_dir,
        )
    )
    started = time.perf_counter()
    transcript = pipeline.run(options.file, progress=lambda name, _: stage.__setitem__(0, name))
    seconds = time.perf_counter() - started
    stage[0] = "done"
    time.sleep(0.5)
    done.set()
    minutes, speed = transcript.duration / 60, transcript.duration / seconds
    print(f"{minutes:.1f} min in {seconds:.0f} s: {speed:.2f}x real time")
    print(f"{len(transcript.segments)} lines")
    print("stage timings (s):", {k: round(v, 1) for k, v in transcript.timings.items()})
    print(f"{'stage':20} peak resident memory")
    for name, peak in peaks.items():
        print(f"{name:20} {peak / 1e9:.2f} GB")
    print(f"{'overall':20} {max(peaks.values()) / 1e9:.2f} GB")
    # The kernel's own high-water mark, what `/usr/bin/time -v` reports, between samples too.
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{'peak (kernel)':20} {peak_kib * 1024 / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
