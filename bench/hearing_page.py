"""A 3-hour hearing's page: server time and bytes, for the public, a clerk, and each chunk.

Builds one published 3-hour hearing in a fresh database (SQLite under instance/bench/, or the
PostgreSQL database TEST_DATABASE_URL names, emptied first): 1,800 lines of 15 words and
27,000 word rows with their times, resampled from the real Seattle council captions in
../shared/data/cdp-council-text; 30 speakers, the chair a fifth of the lines; 40 testimonies
with positions; three agenda items; 3,000 people and 300 organizations in the record. Then
it times, through the app in this process (no network):

- the hearing page as the public gets it and as a clerk gets it (every line tool);
- the next chunk of lines, fetched as the reader scrolls or plays (htmx);
- a quote link's page two and a half hours in;
- the same page with the whole transcript (`?whole=1`, what every visit cost before the
  transcript came in chunks): the baseline, in the same run;
- the transcript as JSON, with every word's time.

Prints median and p95 server time and the bytes of each, and the targets (page p95 <= 150 ms
and <= 1 MB before scrolling); exits 1 when a target is missed.

    python bench/hearing_page.py [--hours 3] [--repeats 15]
    scripts/with_postgres.sh .venv/bin/python bench/hearing_page.py
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import search_archive  # noqa: E402

PAGE_P95_MS, PAGE_BYTES = 150.0, 1_000_000
LINES_PER_HOUR, WORDS_PER_LINE, SPEAKERS, TESTIMONIES = 600, 15, 30, 40
# People and organizations already in the record: a clerk names speakers from among them.
PEOPLE, ORGANIZATIONS = 3000, 300
DATABASE = REPO / "instance" / "bench" / "hearing-page.sqlite3"


def build(session, hours: int, seed: int = 11) -> int:
    """Add one published hearing of ``hours`` hours; return its id and the lines' step in ms."""
    from sqlalchemy import insert

    from hearings.models import (
        AgendaItem,
        Body,
        Hearing,
        Matter,
        Organization,
        Person,
        Recording,
        Segment,
        Speaker,
        Testimony,
        Word,
    )
    from hearings.models.testimony import testimony_segments

    rng = random.Random(seed)
    sentences = [s.split() for s in search_archive.caption_sentences()]
    now = datetime.now(UTC).replace(tzinfo=None)
    duration = hours * search_archive.HOUR_MS
    session.execute(insert(Body.__table__), [{"id": 1, "name": "Common Council"}])
    session.execute(
        insert(Organization.__table__),
        [{"id": o, "name": f"Organization {o}"} for o in range(1, ORGANIZATIONS + 1)],
    )
    session.execute(
        insert(Person.__table__),
        [{"id": p, "name": f"Person {p}", "voice_consent": False,
          "organization_id": p % ORGANIZATIONS + 1 if p % 3 == 0 else None}
         for p in range(1, PEOPLE + 1)],
    )  # fmt: skip
    session.execute(
        insert(Matter.__table__),
        [{"id": m, "file_number": f"2026-{m:03d}", "title": f"Matter {m}", "body_id": 1}
         for m in range(1, 4)],
    )  # fmt: skip
    session.execute(
        insert(Recording.__table__),
        [{"id": 1, "sha256": "0" * 64, "original_filename": "long.wav", "stored_name": "long.wav",
          "size_bytes": 1, "duration_ms": duration, "media_type": "audio/wav"}],
    )  # fmt: skip
    session.execute(
        insert(Hearing.__table__),
        [{"id": 1, "title": f"A {hours}-hour hearing", "body_id": 1, "date": date(2026, 3, 2),
          "recording_id": 1, "created_at": now, "transcribed_at": now, "published_at": now,
          "transcript_model": "whisper base.en", "transcript_language": "en"}],
    )  # fmt: skip
    session.execute(
        insert(Speaker.__table__),
        [{"id": s, "hearing_id": 1, "label": f"SPEAKER_{s:02d}", "person_id": s if s % 2 else None}
         for s in range(1, SPEAKERS + 1)],
    )  # fmt: skip
    session.execute(
        insert(AgendaItem.__table__),
        [{"id": m, "hearing_id": 1, "matter_id": m, "sequence": m, "title": f"Item {m}",
          "start_ms": (m - 1) * duration // 3, "end_ms": m * duration // 3} for m in range(1, 4)],
    )  # fmt: skip
    lines, words = [], []
    count = hours * LINES_PER_HOUR
    step = duration // count
    by_speaker: dict[int, list[int]] = {}
    for n in range(count):
        start = n * step
        # The chair a fifth of the lines; the others speak in turns of a few minutes each.
        speaker = 1 if rng.random() < 0.2 else 2 + (n * 7 // LINES_PER_HOUR) % (SPEAKERS - 1)
        text = []
        while len(text) < WORDS_PER_LINE:
            text += rng.choice(sentences)
        text = text[:WORDS_PER_LINE]
        lines.append({"id": n + 1, "hearing_id": 1, "start_ms": start, "end_ms": start + step - 200,
                      "text": " ".join(text), "speaker_id": speaker})  # fmt: skip
        by_speaker.setdefault(speaker, []).append(n + 1)
        word_ms = (step - 200) // WORDS_PER_LINE
        words += [
            {"segment_id": n + 1, "start_ms": start + i * word_ms,
             "end_ms": start + (i + 1) * word_ms, "text": w, "probability": 0.9}
            for i, w in enumerate(text)
        ]  # fmt: skip
    session.execute(insert(Segment.__table__), lines)
    for offset in range(0, len(words), 20_000):
        session.execute(insert(Word.__table__), words[offset : offset + 20_000])
    testimonies, said = [], []
    speakers = sorted(by_speaker)[1:]
    for t in range(1, TESTIMONIES + 1):
        speaker = speakers[t % len(speakers)]
        testimonies.append({"id": t, "matter_id": 1 + t % 3, "person_id": speaker, "hearing_id": 1,
                            "kind": "oral", "position": rng.choice(search_archive.POSITIONS),
                            "position_confirmed": True, "created_at": now})  # fmt: skip
        said += [
            {"testimony_id": t, "segment_id": line}
            for line in by_speaker[speaker][(t // len(speakers)) * 5 :][:5]
        ]
    session.execute(insert(Testimony.__table__), testimonies)
    session.execute(insert(testimony_segments), said)
    session.commit()
    return 1, step


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=15)
    options = parser.parse_args()
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from search_speed import _empty_postgres

        _empty_postgres(url)
    else:
        DATABASE.parent.mkdir(parents=True, exist_ok=True)
        for leftover in DATABASE.parent.glob(DATABASE.name + "*"):
            leftover.unlink()
        url = f"sqlite:///{DATABASE}"
    os.environ.update(
        {
            "HEARINGS_DATABASE_URL": url,
            "HEARINGS_SECRET_KEY": "bench",
            "HEARINGS_RATELIMIT_ENABLED": "false",
        }
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    from flask_login import FlaskLoginClient

    from hearings import create_app
    from hearings.extensions import db
    from hearings.models import User

    app = create_app()
    # As the production server does once the app is loaded (hearings/gunicorn_config.py).
    gc.freeze()
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        started = time.perf_counter()
        hearing, step = build(db.session, options.hours)
        clerk = User(username="clerk", role="clerk")
        clerk.set_password("bench-password")
        db.session.add(clerk)
        db.session.commit()
        print(f"built a {options.hours}-hour hearing in {time.perf_counter() - started:.1f} s")
        clerk_id = clerk.id

    with app.app_context():
        clerk = db.session.get(User, clerk_id)
        public, staff = app.test_client(), app.test_client(user=clerk)
    later = options.hours * search_archive.HOUR_MS * 5 // 6
    # The link at the end of a window: the lines after line n (its place is start_id).
    n = later // step
    chunk = f"/hearings/{hearing}/transcript?after={n * step}_{n + 1}"
    cases = [
        ("page, public", public, f"/hearings/{hearing}", {}, True),
        ("page, clerk", staff, f"/hearings/{hearing}", {}, True),
        ("next chunk (htmx), public", public, chunk, {"HX-Request": "true"}, True),
        ("quote link 5/6 of the way in", public, f"/hearings/{hearing}/at/{later}", {}, True),
        ("whole transcript, public (baseline)", public, f"/hearings/{hearing}?whole=1", {}, False),
        ("whole transcript, clerk (baseline)", staff, f"/hearings/{hearing}?whole=1", {}, False),
        ("transcript.json (every word)", public, f"/hearings/{hearing}/transcript.json", {}, False),
    ]
    print(f"\n{'case':<40}{'median ms':>10}{'p95 ms':>9}{'KiB':>9}")
    met, medians = True, {}
    for name, client, url, headers, target in cases:
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            print(f"{name:<40}  HTTP {response.status_code}")
            met = False
            continue
        size = len(response.data)
        samples = []
        for _ in range(options.repeats):
            started = time.perf_counter()
            client.get(url, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
        medians[name] = statistics.median(samples)
        line = f"{name:<40}{medians[name]:>10.1f}{p95(samples):>9.1f}{size / 1024:>9.0f}"
        if target:
            ok = p95(samples) <= PAGE_P95_MS and size <= PAGE_BYTES
            met &= ok
            line += f"  (target p95 <= {PAGE_P95_MS:.0f} ms, <= 1 MB: {'met' if ok else 'MISSED'})"
        print(line)
    for who in ("public", "clerk"):
        whole = medians.get(f"whole transcript, {who} (baseline)")
        page = medians.get(f"page, {who}")
        if whole and page:
            print(f"page, {who}: {whole / page:.1f}x faster than the whole transcript")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
