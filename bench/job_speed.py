"""Speed of a whole hearing job through the worker against the bare engines, same recording.

Builds a 10+ minute recording from the real recordings in ../shared/data (see
transcription_speed.py), then measures in one run, each in a fresh process:

(a) bare faster-whisper: load tiny.en and transcribe the file with the job's settings;
(b) bare diarizer (with --diarizer other than none): decode the file, load the diarizer and run
    it directly on the samples;
(c) the full job through the worker: a throwaway instance folder, `flask ingest` queues the
    recording on the Huey queue file, then `flask worker` (a real consumer process) runs it;
    timed from starting the worker until the job row says done, so it includes the worker's
    start-up, model loading, decoding, every stage and storing the transcript.

Targets: without diarization the job takes at most 1.1x the bare engine (a); with it, no longer
than (a) + (b). Prints wall times, real-time factors, peak memory, ratios and the job's stages.

    python bench/job_speed.py [--minutes 10] [--diarizer none|auto|pyannote|senko]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.transcription_speed import (  # noqa: E402
    Measurement,
    bare_engine,
    build_long_recording,
    measure_in_subprocess,
    source_recordings,
)

FLASK = [sys.executable, "-m", "flask", "--app", "app"]


def bare_diarizer(path: str, diarizer: str, threads: int) -> dict[str, Any]:
    """Decode the file and run the configured diarizer on it, as the engine's own user would."""
    import torch

    from transcription.audio import decode
    from transcription.diarize import create_diarizer
    from transcription.pipeline import PipelineConfig

    torch.set_num_threads(threads)
    started = time.perf_counter()
    samples = decode(path)
    engine = create_diarizer(PipelineConfig(diarizer=diarizer))
    result = engine.diarize(samples)
    return {"run_s": time.perf_counter() - started, "speakers": len(result.speakers)}


def job_through_worker(
    recording: Path, diarizer: str, threads: int, in_child: bool = True
) -> dict[str, Any]:
    """Queue the recording with `flask ingest` and time `flask worker` until the job is done.

    ``in_child`` runs the speech engine in a child process of the worker (the default), else
    in the worker's own process; peak memory is the worker's plus its children's.
    """
    with tempfile.TemporaryDirectory(prefix="job-speed-") as folder:
        instance = Path(folder)
        database = instance / "hearings.sqlite3"
        env = {
            **os.environ,
            "HEARINGS_DATABASE_URL": f"sqlite:///{database}",
            "HEARINGS_UPLOAD_FOLDER": str(instance / "uploads"),
            "HEARINGS_QUEUE_FILE": str(instance / "queue.sqlite3"),
            "HEARINGS_MODEL_CACHE_DIR": str(instance / "cache"),
            "HEARINGS_DIARIZER": diarizer,
            "HEARINGS_WHISPER_CPU_THREADS": str(threads),
            "HEARINGS_SPEECH_IN_CHILD_PROCESS": "true" if in_child else "false",
            "PYANNOTE_METRICS_ENABLED": "false",
            "HF_HUB_OFFLINE": "1",
        }
        run = {"env": env, "cwd": REPO, "check": True, "capture_output": True, "text": True}
        subprocess.run([*FLASK, "db", "upgrade"], **run)
        subprocess.run(
            [*FLASK, "ingest", str(recording), "--body", "Benchmark", "--date", "2026-01-01"],
            **run,
        )
        started = time.perf_counter()
        worker = subprocess.Popen(
            [*FLASK, "worker"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        worker_peak_kb, child_peak_kb = 0, 0
        try:
            while True:
                worker_peak_kb = max(worker_peak_kb, _peak_rss_kb(worker.pid))
                child_peak_kb = max(
                    [child_peak_kb] + [_peak_rss_kb(c) for c in _children(worker.pid)]
                )
                status, stage, error = _job_row(database)
                if status in ("done", "failed"):
                    break
                if worker.poll() is not None:
                    raise RuntimeError(f"the worker stopped: {worker.stderr.read()[-2000:]}")
                time.sleep(0.2)
            wall = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(timeout=60)
        if status != "done":
            raise RuntimeError(f"the job failed: {error}")
        with sqlite3.connect(database) as connection:
            started_at, finished_at = connection.execute(
                "SELECT started_at, finished_at FROM jobs ORDER BY id DESC LIMIT 1"
            ).fetchone()
            segments = connection.execute("SELECT count(*) FROM segments").fetchone()[0]
            speakers = connection.execute("SELECT count(*) FROM speakers").fetchone()[0]
        from datetime import datetime

        job_s = datetime.fromisoformat(finished_at) - datetime.fromisoformat(started_at)
        return {
            "wall_s": wall,
            "job_s": job_s.total_seconds(),
            "peak_mb": (worker_peak_kb + child_peak_kb) / 1024,
            "segments": segments,
            "speakers": speakers,
        }


def _job_row(database: Path) -> tuple[str | None, str | None, str | None]:
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT status, stage, error FROM jobs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return row or (None, None, None)


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split() if c.isdigit()]
    except OSError:
        return []


def _peak_rss_kb(pid: int) -> int:
    """Return the process's high-water resident memory (VmHWM), 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    """Build the recording, time the bare engines and the job, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--diarizer", default="none", help="none, auto, pyannote or senko")
    args = parser.parse_args()
    from transcription.pipeline import PipelineConfig

    vad = PipelineConfig().vad
    with tempfile.TemporaryDirectory(prefix="job-speed-audio-") as folder:
        recording, duration = build_long_recording(Path(folder), min_seconds=args.minutes * 60)
        print(
            f"recording: {duration / 60:.1f} min joined from {len(source_recordings())} files; "
            f"tiny.en int8, {args.threads} threads, VAD {vad}, diarizer {args.diarizer}\n"
        )
        whisper: Measurement = measure_in_subprocess(bare_engine, str(recording), args.threads, vad)
        diarization: Measurement | None = None
        if args.diarizer != "none":
            diarization = measure_in_subprocess(
                bare_diarizer, str(recording), args.diarizer, args.threads
            )
        job = job_through_worker(recording, args.diarizer, args.threads)
        inline = job_through_worker(recording, args.diarizer, args.threads, in_child=False)

    print(f"{'':<28}{'wall s':>8}{'x real time':>13}{'peak MB':>9}")
    rows = [("bare faster-whisper", whisper.wall_s, whisper.peak_rss_mb)]
    if diarization:
        rows.append(
            (f"bare diarizer ({args.diarizer})", diarization.wall_s, diarization.peak_rss_mb)
        )
    rows.append(("job, engine in a child", job["wall_s"], job["peak_mb"]))
    rows.append(("job, engine in the worker", inline["wall_s"], inline["peak_mb"]))
    for label, wall, peak in rows:
        print(f"{label:<28}{wall:>8.1f}{duration / wall:>13.1f}{peak:>9.0f}")
    baseline = whisper.wall_s + (diarization.wall_s if diarization else 0.0)
    what = "bare whisper + bare diarizer" if diarization else "bare whisper"
    target = "1.0" if diarization else "1.1"
    print(f"\njob / ({what}):  {job['wall_s'] / baseline:.3f}  (target <= {target})")
    print(
        f"child process / in the worker: {job['wall_s'] / inline['wall_s']:.3f} "
        f"({job['wall_s'] - inline['wall_s']:+.1f} s: the price of surviving an engine crash)"
    )
    print(
        f"job row started -> finished: {job['job_s']:.1f} s "
        f"({job['segments']} segments, {job['speakers']} speaker labels)"
    )
    if diarization:
        print(f"bare diarizer found {diarization.result['speakers']} speakers")


if __name__ == "__main__":
    main()
