"""Measure what a glossary of local names does to word error and to the names recognised.

Runs the real pipeline (tiny.en, VAD and loudness normalisation on, as the worker does) on the
demo hearing and every real recording in ../shared/data with a text reference, with:

- no hint (the baseline);
- the whole glossary as faster-whisper ``hotwords``, and as an ``initial_prompt``;
- only the body's members (the few voices that recur at every meeting) as ``hotwords``;
- the baseline followed by the post-pass the correction editor offers (each near miss of a
  glossary word replaced by its spelling), i.e. what a clerk gets by accepting every offer.

The glossary is the demo hearing's people and organizations (12 names, fictional); the other
recordings do not mention them, so they show whether a glossary raises WER on the rest.

    python bench/glossary_wer.py [--data ../shared/data] [--demo demo]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.vad_wer import normalise_text, recordings_with_text, word_errors  # noqa: E402


def demo_glossary(demo: Path) -> tuple[list[str], list[str]]:
    """Return (every name, the members') from the demo hearing's description."""
    meta = json.loads((demo / "hearing.json").read_text())
    names, members = [], []
    for speaker in meta["speakers"]:
        names.append(speaker["name"])
        if speaker.get("organisation") and speaker["organisation"] not in names:
            names.append(speaker["organisation"])
        if speaker.get("role") in ("chair", "member", "commissioner", "staff"):
            members.append(speaker["name"])
    return names, members


def name_words(terms: list[str]) -> set[str]:
    return {w for term in terms for w in normalise_text(term).split() if len(w) >= 4}


def names_found(reference: str, hypothesis: str, words: set[str]) -> tuple[int, int]:
    """Return (glossary words said and recognised, glossary words said), counting each once."""
    said = words & set(normalise_text(reference).split())
    heard = said & set(normalise_text(hypothesis).split())
    return len(heard), len(said)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--demo", type=Path, default=REPO / "demo")
    args = parser.parse_args()

    from hearings.glossary import near_misses, respelled
    from transcription.pipeline import PipelineConfig, TranscriptionPipeline

    glossary, members = demo_glossary(args.demo)
    words = name_words(glossary)
    print(f"glossary: {len(glossary)} terms; members: {', '.join(members)}")
    settings = {
        "none": {},
        "hotwords: all": {"hotwords": ", ".join(glossary)},
        "prompt: all": {"initial_prompt": ", ".join(glossary) + "."},
        "hotwords: members": {"hotwords": ", ".join(members)},
    }
    pipeline = TranscriptionPipeline(PipelineConfig(diarizer="none"))
    recordings = list(recordings_with_text(args.data, args.demo))
    columns = [*settings, "post-pass"]
    totals = {c: [0, 0, 0, 0] for c in columns}
    print(f"\n{'recording':<24}" + "".join(f"{c:>22}" for c in columns))
    for recording in recordings:
        cells = []
        baseline_text = ""
        for label, hint in settings.items():
            started = time.perf_counter()
            transcript = pipeline.run(recording.path, **hint)
            elapsed = time.perf_counter() - started
            text = " ".join(s.text for s in transcript.segments)
            if label == "none":
                baseline_text = text
            cells.append(_score(recording.references, text, words, totals[label], elapsed))
        fixed = respelled(baseline_text, near_misses(baseline_text, glossary))
        cells.append(_score(recording.references, fixed, words, totals["post-pass"], 0.0))
        print(f"{recording.name:<24}" + "".join(f"{c:>22}" for c in cells))
    print(
        f"{'all':<24}"
        + "".join(f"{f'{e / max(n, 1):.1%} names {f}/{s}':>22}" for e, n, f, s in totals.values())
    )
    base = totals["none"]
    print("\nratios against no hint (WER, names found):")
    for label, (e, n, f, s) in totals.items():
        wer_ratio = (e / max(n, 1)) / max(base[0] / max(base[1], 1), 1e-9)
        print(f"  {label:<20} WER x{wer_ratio:.2f}   names {f}/{s} (none: {base[2]}/{base[3]})")


def _score(references, text, words, total, elapsed) -> str:
    errors, count = min(
        (word_errors(reference, text) for reference in references),
        key=lambda pair: pair[0] / max(pair[1], 1),
    )
    found, said = names_found(references[0], text, words)
    total[0] += errors
    total[1] += count
    total[2] += found
    total[3] += said
    names = f" n{found}/{said}" if said else ""
    return f"{errors / max(count, 1):.1%}{names} {elapsed:4.0f}s"


if __name__ == "__main__":
    main()
