"""Peak memory of each stage of the speech pipeline on one recording, and its speed.

What grows with the length of a recording shows up as a stage whose peak grows with it: run
this on files of different lengths (``python bench/hearing_audio.py OUT.wav`` makes a
32-minute hearing-shaped one; join copies with sox for longer ones). Resident memory is
sampled every 0.2 s and charged to the stage the pipeline last reported, and beside it to the
step the diarizer last finished (its own steps run beside the transcription).

    python bench/stage_memory.py FILE [--languages en] [--diarizer auto]
    python bench/stage_memory.py hearing.wav --repeat 2     # a 1-hour file: 2 copies joined
    make bench-long     # the 32-minute hearing, then 1 and 6 copies of it (1 and 3 hours)
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def resident_kinds() -> tuple[int, int]:
    """Return the resident bytes of the heap (anonymous) and of mapped files (libraries,
    models, the decoded samples' scratch file)."""
    kinds = {}
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(("RssAnon:", "RssFile:")):
                name, value, _ = line.split()
                kinds[name] = int(value) * 1024
    return kinds.get("RssAnon:", 0), kinds.get("RssFile:", 0)


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
    parser.add_argument("--timeline", help="write every sample (CSV) to this file")
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

    stage, step, peaks, done = ["start"], [""], {}, threading.Event()

    class DiarizerSteps(logging.Handler):
        """Follows the diarizer's own steps, which run beside the stage the pipeline reports."""

        def emit(self, record: logging.LogRecord) -> None:
            step[0] = record.getMessage()

    diarizer_log = logging.getLogger("transcription.diarize")
    diarizer_log.setLevel(logging.DEBUG)
    diarizer_log.addHandler(DiarizerSteps())

    kinds: dict[str, tuple[int, int]] = {}
    timeline: list[tuple[float, str, int, int]] = []
    begun = time.perf_counter()
    high_water: list = [0, "", 0.0]

    def sample() -> None:
        while not done.is_set():
            key = f"{stage[0]} ({step[0]})" if step[0] else stage[0]
            resident = resident_bytes()
            high = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            if high > high_water[0]:
                # The kernel's high-water mark rose since the last sample, perhaps between
                # samples: note in which stage.
                high_water[:] = [high, key, time.perf_counter() - begun]
            if resident > peaks.get(key, 0):
                peaks[key] = resident
                kinds[key] = resident_kinds()
            if options.timeline:
                timeline.append((time.perf_counter() - begun, key, *resident_kinds()))
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
    print(f"{'stage (the diarizer step after the last it finished)':56} peak resident memory")
    for name, peak in peaks.items():
        heap, files = kinds[name]
        print(f"{name:56} {peak / 1e9:.2f} GB (heap {heap / 1e9:.2f}, files {files / 1e9:.2f})")
    print(f"{'overall':56} {max(peaks.values()) / 1e9:.2f} GB")
    # The kernel's own high-water mark, what `/usr/bin/time -v` reports, between samples too.
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{'peak (kernel)':56} {peak_kib * 1024 / 1e9:.2f} GB")
    print(f"  last raised by {high_water[1]}, {high_water[2]:.0f} s in")
    if options.timeline:
        with open(options.timeline, "w", encoding="utf-8") as out:
            out.write("seconds,stage,heap_bytes,file_bytes\n")
            out.writelines(f"{t:.1f},{key},{heap},{files}\n" for t, key, heap, files in timeline)
        print(f"wrote {options.timeline}")


if __name__ == "__main__":
    main()
