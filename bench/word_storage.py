"""What a hearing's words cost to store and to read: one row a word, against one packed
value a line, on SQLite.

Builds the 3-hour hearing of ``bench/hearing_page.py`` (1,800 lines, 27,000 words with their
times, as Whisper gives about 9,000 words an hour) in a fresh SQLite database, then:

- the bytes of every table and index (SQLite's ``dbstat``), per hearing-hour and for 1,000
  hearing-hours;
- the same words packed one JSON array a line (start, end, text, probability, speaker) in a
  table of their own, the database vacuumed, and its bytes;
- the time to read every word of the hearing in order (what ``transcript.json`` and the
  exports read), as rows and as packed lines, median of 7 in the same run.

    python bench/word_storage.py [--hours 3]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import hearing_page  # noqa: E402

DATABASE = REPO / "instance" / "bench" / "word-storage.sqlite3"
ROWS_QUERY = """
    SELECT w.segment_id, w.start_ms, w.end_ms, w.text, w.probability, w.speaker_label
    FROM words w JOIN segments s ON s.id = w.segment_id
    WHERE s.hearing_id = ? ORDER BY s.start_ms, s.id, w.start_ms, w.id
"""
PACKED_QUERY = """
    SELECT p.segment_id, p.words FROM packed_words p JOIN segments s ON s.id = p.segment_id
    WHERE s.hearing_id = ? ORDER BY s.start_ms, s.id
"""


def table_bytes(connection: sqlite3.Connection) -> dict[str, int]:
    return dict(connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))


def median_ms(run, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=3)
    options = parser.parse_args()
    DATABASE.parent.mkdir(parents=True, exist_ok=True)
    for leftover in DATABASE.parent.glob(DATABASE.name + "*"):
        leftover.unlink()
    os.environ.update(
        {"HEARINGS_DATABASE_URL": f"sqlite:///{DATABASE}", "HEARINGS_SECRET_KEY": "bench"}
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    from hearings import create_app
    from hearings.extensions import db

    app = create_app()
    with app.app_context():
        hearing, _ = hearing_page.build(db.session, options.hours)
        db.session.commit()
        db.engine.dispose()

    connection = sqlite3.connect(DATABASE)
    connection.execute("VACUUM")
    before = table_bytes(connection)
    words = connection.execute("SELECT COUNT(*) FROM words").fetchone()[0]
    lines = connection.execute("SELECT COUNT(*) FROM segments").fetchone()[0]
    word_bytes = sum(v for k, v in before.items() if k == "words" or k.startswith("ix_words"))
    total = sum(before.values())

    connection.execute("CREATE TABLE packed_words (segment_id INTEGER PRIMARY KEY, words TEXT)")
    packed: dict[int, list[list[object]]] = {}
    for segment, start, end, text, probability, speaker in connection.execute(
        "SELECT segment_id, start_ms, end_ms, text, probability, speaker_label FROM words"
        " ORDER BY segment_id, start_ms, id"
    ):
        packed.setdefault(segment, []).append([start, end, text, round(probability, 3), speaker])
    connection.executemany(
        "INSERT INTO packed_words VALUES (?, ?)",
        ((k, json.dumps(v, separators=(",", ":"))) for k, v in packed.items()),
    )
    connection.commit()
    connection.execute("VACUUM")
    after = table_bytes(connection)
    packed_bytes = after["packed_words"]

    def read_rows() -> int:
        return len(connection.execute(ROWS_QUERY, (hearing,)).fetchall())

    def read_packed() -> int:
        rows = connection.execute(PACKED_QUERY, (hearing,)).fetchall()
        return sum(len(json.loads(words)) for _, words in rows)

    assert read_rows() == read_packed() == words
    rows_ms, packed_ms = median_ms(read_rows), median_ms(read_packed)

    hours = options.hours
    print(f"{hours}-hour hearing: {lines:,} lines, {words:,} words")
    print(f"{'table or index':32} {'bytes':>12} {'per hour':>10} {'1,000 hours':>12}")
    for name, size in sorted(before.items(), key=lambda item: -item[1])[:12]:
        per_hour = size / hours
        print(f"{name:32} {size:12,} {per_hour / 1e6:8.2f} MB {per_hour * 1000 / 1e9:9.2f} GB")
    print(f"{'whole database':32} {total:12,} {total / hours / 1e6:8.2f} MB")
    print()
    print(
        f"words as rows (table + index): {word_bytes / hours / 1e6:.2f} MB per hour,"
        f" {word_bytes / words:.1f} bytes a word, {word_bytes / total:.0%} of the database"
    )
    print(
        f"words packed one JSON array a line: {packed_bytes / hours / 1e6:.2f} MB per hour,"
        f" {packed_bytes / words:.1f} bytes a word (x{packed_bytes / word_bytes:.2f} the rows)"
    )
    print(
        f"every word of the hearing in order: rows {rows_ms:.0f} ms, packed {packed_ms:.0f} ms"
        f" (x{packed_ms / rows_ms:.2f})"
    )


if __name__ == "__main__":
    main()
