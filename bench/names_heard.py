"""Measure how many demo speakers are named correctly from what was said, without typing.

Runs the real pipeline (Whisper tiny.en, the default diarizer) on the demo hearing, reads the
names heard for each voice (introductions, call-ups, thanks: hearings/introductions.py), and
scores each voice against the reference speaker turns (the RTTM beside the recording): a voice
is named correctly when the name heard is the name of the reference speaker it overlaps most.

    python bench/names_heard.py [--demo demo] [--no-glossary]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, default=REPO / "demo")
    parser.add_argument("--diarizer", default="auto")
    parser.add_argument(
        "--no-glossary", action="store_true", help="score the names as heard, not respelled"
    )
    args = parser.parse_args()

    from rapidfuzz import fuzz

    from hearings.introductions import names_heard, speaker_turns_of
    from transcription.pipeline import PipelineConfig, TranscriptionPipeline

    meta = json.loads((args.demo / "hearing.json").read_text())
    names = {s["id"]: s["name"] for s in meta["speakers"]}
    # The glossary a clerk would keep: the officials and the organizations (hearings/cli.py).
    glossary = (
        []
        if args.no_glossary
        else [s["name"] for s in meta["speakers"] if s.get("role") in ("chair", "presenter")]
        + [s["organisation"] for s in meta["speakers"] if s.get("organisation")]
    )
    reference = []
    for row in (args.demo / "facial-recognition-hearing.rttm").read_text().splitlines():
        fields = row.split()
        if fields and fields[0] == "SPEAKER":
            start, length = float(fields[3]), float(fields[4])
            reference.append((start, start + length, fields[7]))

    transcript = TranscriptionPipeline(PipelineConfig(diarizer=args.diarizer)).run(
        args.demo / meta["media"]["audio"]
    )
    lines = [(s.speaker, int(s.start * 1000), s.text) for s in transcript.segments]
    heard = names_heard(speaker_turns_of(lines))

    overlap: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for segment in transcript.segments:
        for start, end, who in reference:
            shared = min(end, segment.end) - max(start, segment.start)
            if shared > 0 and segment.speaker:
                overlap[segment.speaker][who] += shared
    labels = sorted(overlap)
    right = 0
    print(f"{len(labels)} voices found, {len(set(names))} people in the reference\n")
    for label in labels:
        who = max(overlap[label].items(), key=lambda item: item[1])[0]
        found = heard.get(label)
        name = spelled(found.name, glossary) if found else None
        ok = name == names.get(who)
        right += ok
        shown = f"{name} ({found.confidence:.2f}, {found.kind})" if found else "-"
        print(f"{label:<12} is {names.get(who, who):<20} heard: {shown:<45} {'ok' if ok else ''}")
    people = len(set(names))
    print(f"\nnamed correctly without typing: {right} of {people} people ({right / people:.0%})")
    misspelled = other = 0
    for label in labels:
        if label not in heard:
            continue
        name = spelled(heard[label].name, glossary)
        actual = names.get(max(overlap[label].items(), key=lambda item: item[1])[0], "")
        if name == actual:
            continue
        # The right person misheard ("Tanisha Raul") or another person's name altogether.
        words = [w.casefold() for w in name.split()]
        if any(fuzz.ratio(w, a.casefold()) >= 60 for w in words for a in actual.split()):
            misspelled += 1
        else:
            other += 1
    print(f"voices offered a misheard spelling of their own name: {misspelled}")
    print(f"voices offered another person's name: {other}")

    listed = args.demo / "signups.csv"
    if listed.exists():
        matched = signup_matches(transcript, listed, heard, glossary)
        print(f"\nWith the sign-up list ({listed.name}), each row's suggested voice:")
        right_cards = wrong_cards = 0
        by_card: set[str] = set()
        for name, label in matched:
            who = max(overlap[label].items(), key=lambda item: item[1])[0] if label else None
            ok = label is not None and names.get(who) == name
            right_cards += ok
            if ok:
                by_card.add(name)
            wrong_cards += label is not None and not ok
            print(f"  {name:<20} -> {label or 'no voice':<12} {'ok' if ok else ''}")
        print(
            f"named correctly by a name heard or a sign-up card: "
            f"{len(by_card | correct_names(heard, labels, overlap, names, glossary))} of {people}"
            f" people; cards matched to the wrong voice: {wrong_cards}"
        )


def correct_names(heard, labels, overlap, names, glossary) -> set[str]:
    """Return the people a name heard names correctly."""
    found = set()
    for label in labels:
        who = names.get(max(overlap[label].items(), key=lambda item: item[1])[0])
        if label in heard and spelled(heard[label].name, glossary) == who:
            found.add(who)
    return found


def signup_matches(transcript, listed: Path, heard, glossary) -> list[tuple[str, str | None]]:
    """Return (name on the card, voice label suggested) for each row of the sign-up list,
    through the site's own matching on a throwaway database."""
    import tempfile
    from datetime import date

    from hearings import create_app
    from hearings.extensions import db
    from hearings.models import Body, Hearing, Matter
    from hearings.signups import entries_of, import_list, suggested_matches
    from hearings.speakers import suggest_names_heard
    from hearings.transcripts import store_transcript

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                "SECRET_KEY": "bench",
                "UPLOAD_FOLDER": folder,
                "QUEUE_FILE": f"{folder}/queue.sqlite3",
            }
        )
        with app.app_context():
            db.create_all()
            hearing = Hearing(title="demo", body=Body(name="demo"), date=date(2026, 3, 12))
            matter = Matter(title="demo matter")
            db.session.add_all([hearing, matter])
            db.session.commit()
            store_transcript(db.session, hearing, transcript)
            suggest_names_heard(db.session, hearing)
            import_list(
                db.session, None, hearing, listed.read_text(), source="", default_matter=matter
            )
            entries = entries_of(db.session, hearing)
            matches = suggested_matches(db.session, hearing, entries)
            return [
                (e.name, matches[e.id].speaker.label if e.id in matches else None) for e in entries
            ]


def spelled(name: str, glossary: list[str]) -> str:
    """Return the name as the site suggests it: glossary spellings, surnames made whole."""
    from hearings.glossary import near_misses, respelled
    from hearings.introductions import full_name

    name = respelled(name, near_misses(name, glossary))
    return (full_name(name, glossary) or name) if len(name.split()) == 1 else name


if __name__ == "__main__":
    main()
