"""An archive of 1,000 hearing-hours in the project's own schema, for the search benchmarks.

Each hearing is one hour: 600 lines (600,000 in all, about 9 M words) resampled from the real
Seattle council captions in ../shared/data/cdp-council-text, with about one word in six drawn
from a Zipf-distributed vocabulary so the index has a long tail of rare words as a real archive
does. 25 speakers a hearing drawn from 3,000 people (a few hundred of them regulars), 300
organizations, 10 bodies, 2,000 matters with concerns, three agenda items a hearing with their
times, and 15 testimonies a hearing with positions, their lines and organizations. Every hearing
is published. Word rows are not built: search never reads them.

The schema comes from the project's migrations; rows go in with bulk inserts, and the SQLite
full-text index is rebuilt once at the end (PostgreSQL computes its stored column on insert).
"""

from __future__ import annotations

import json
import random
import time
from bisect import bisect
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from sqlalchemy import insert, text

REPO = Path(__file__).resolve().parent.parent
CAPTIONS = REPO.parent / "shared" / "data" / "cdp-council-text"

HEARINGS, LINES_PER_HEARING, SPEAKERS_PER_HEARING = 1000, 600, 25
PEOPLE, ORGANIZATIONS, BODIES, MATTERS = 3000, 300, 10, 2000
TESTIMONIES_PER_HEARING, VOCABULARY = 15, 40_000
HOUR_MS = 3_600_000
POSITIONS = ("support", "oppose", "neutral")
FIRST = ["Ana", "Ben", "Carla", "Dmitri", "Elena", "Farah", "Gregory", "Hana", "Ivan", "Jun",
         "Kofi", "Lena", "Marcus", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam",
         "Tamika"]  # fmt: skip
LAST = ["Lindqvist", "Jansen", "Harris", "Okafor", "Nguyen", "Garcia", "Kowalski", "Haddad",
        "Yang", "Moreno", "Schmidt", "Patel", "Rossi", "Thao", "Vang", "Lee", "Novak", "Silva",
        "Baptiste", "Ortiz", "Kim", "Brown", "Lopez", "Murphy", "Xiong"]  # fmt: skip
GROUPS = ["Neighbors", "Coalition", "Alliance", "Association", "Council", "Network", "Union",
          "Collective", "Project", "League"]  # fmt: skip


def caption_sentences() -> list[str]:
    """Return the real council sentences the lines are resampled from."""
    sentences = []
    for path in sorted(CAPTIONS.rglob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and isinstance(data.get("sentences"), list):
            sentences += [s["text"] for s in data["sentences"] if s.get("text", "").strip()]
    if len(sentences) < 100:
        raise SystemExit(f"too few caption sentences under {CAPTIONS}: {len(sentences)}")
    return sentences


def vocabulary(rng: random.Random) -> list[str]:
    """Return pronounceable made-up words, the long tail of names and terms an archive has."""
    syllables = [c + v for c in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def build(session, seed: int = 7, log=print) -> dict:
    """Fill an empty, migrated database; return what was built and how long it took."""
    from hearings.models import (
        AgendaItem,
        Body,
        Concern,
        Hearing,
        Matter,
        Organization,
        Person,
        Segment,
        Speaker,
        Testimony,
    )
    from hearings.models.testimony import testimony_organizations, testimony_segments

    started = time.perf_counter()
    rng = random.Random(seed)
    sentences = [s.split() for s in caption_sentences()]
    vocab = vocabulary(rng)
    # Zipf weights (s = 1.1) over the made-up vocabulary, cumulated once for fast draws.
    cumulated = list(accumulate(1 / (rank**1.1) for rank in range(1, VOCABULARY + 1)))
    now = datetime.now(UTC).replace(tzinfo=None)

    def run(table, rows):
        for offset in range(0, len(rows), 20_000):
            session.execute(insert(table), rows[offset : offset + 20_000])

    run(Body.__table__, [{"id": b + 1, "name": f"Committee {b + 1}"} for b in range(BODIES)])
    run(
        Organization.__table__,
        [
            {"id": o + 1, "name": f"{rng.choice(LAST)} {rng.choice(GROUPS)} {o + 1}"}
            for o in range(ORGANIZATIONS)
        ],
    )
    run(
        Person.__table__,
        [
            {
                "id": p + 1,
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {p + 1}",
                "organization_id": rng.randint(1, ORGANIZATIONS) if p % 3 == 0 else None,
                "voice_consent": False,
            }
            for p in range(PEOPLE)
        ],
    )
    run(
        Matter.__table__,
        [
            {
                "id": m + 1,
                "file_number": f"CB {119000 + m}",
                "title": " ".join(rng.choice(sentences)[:14]),
                "summary": " ".join(rng.choice(sentences)),
                "body_id": rng.randint(1, BODIES),
            }
            for m in range(MATTERS)
        ],
    )
    run(
        Concern.__table__,
        [
            {"matter_id": m + 1, "name": rng.choice(vocab[:2000])}
            for m in range(MATTERS)
            for _ in range(2)
        ],
    )
    session.commit()
    log(f"  record: {time.perf_counter() - started:.0f} s")

    segment_id = speaker_id = testimony_id = agenda_id = 0
    regulars = list(range(1, 301))  # people who come back to testify again and again
    first_day = date(2019, 1, 7)
    for h in range(HEARINGS):
        hearing_id = h + 1
        body_id = h % BODIES + 1
        hearings = [
            {
                "id": hearing_id,
                "title": f"Committee {body_id} meeting {h // BODIES + 1}",
                "body_id": body_id,
                "date": first_day + timedelta(days=h * 3),
                "created_at": now,
                "transcribed_at": now,
                "published_at": now,
                "transcript_language": "en",
            }
        ]
        session.execute(insert(Hearing.__table__), hearings)
        speaker_ids, speaker_people = [], []
        speakers = []
        for s in range(SPEAKERS_PER_HEARING):
            speaker_id += 1
            person = rng.choice(regulars) if s < 8 else rng.randint(1, PEOPLE)
            speakers.append(
                {
                    "id": speaker_id,
                    "hearing_id": hearing_id,
                    "label": f"SPEAKER_{s:02d}",
                    "person_id": person,
                }
            )
            speaker_ids.append(speaker_id)
            speaker_people.append(person)
        session.execute(insert(Speaker.__table__), speakers)
        lines, by_speaker = [], {sid: [] for sid in speaker_ids}
        step = HOUR_MS // LINES_PER_HEARING
        for n in range(LINES_PER_HEARING):
            segment_id += 1
            words = list(rng.choice(sentences))
            for i in range(len(words)):
                if rng.random() < 0.17:
                    words[i] = vocab[bisect(cumulated, rng.random() * cumulated[-1])]
            # The chair speaks a fifth of the lines; the rest are turns of the others.
            sid = speaker_ids[0] if rng.random() < 0.2 else speaker_ids[1 + (n * 24 // 600)]
            lines.append(
                {
                    "id": segment_id,
                    "hearing_id": hearing_id,
                    "start_ms": n * step,
                    "end_ms": n * step + step - 200,
                    "text": " ".join(words),
                    "speaker_id": sid,
                }
            )
            by_speaker[sid].append(segment_id)
        session.execute(insert(Segment.__table__), lines)
        items = []
        matters = rng.sample(range(1, MATTERS + 1), 3)
        for i, matter in enumerate(matters):
            agenda_id += 1
            items.append(
                {
                    "id": agenda_id,
                    "hearing_id": hearing_id,
                    "matter_id": matter,
                    "sequence": i,
                    "title": f"Item {i + 1}",
                    "start_ms": i * HOUR_MS // 3,
                    "end_ms": (i + 1) * HOUR_MS // 3,
                }
            )
        session.execute(insert(AgendaItem.__table__), items)
        testimonies, said, behalf = [], [], []
        for t in range(TESTIMONIES_PER_HEARING):
            testimony_id += 1
            s = 1 + t
            testimonies.append(
                {
                    "id": testimony_id,
                    "matter_id": matters[t * 3 // TESTIMONIES_PER_HEARING],
                    "person_id": speaker_people[s],
                    "hearing_id": hearing_id,
                    "kind": "oral",
                    "position": rng.choice(POSITIONS),
                    "position_confirmed": True,
                    "created_at": now,
                }
            )
            said += [
                {"testimony_id": testimony_id, "segment_id": line}
                for line in by_speaker[speaker_ids[s]]
            ]
            if rng.random() < 0.4:
                behalf.append(
                    {"testimony_id": testimony_id, "organization_id": rng.randint(1, ORGANIZATIONS)}
                )
        session.execute(insert(Testimony.__table__), testimonies)
        session.execute(insert(testimony_segments), said)
        if behalf:
            session.execute(insert(testimony_organizations), behalf)
        if hearing_id % 100 == 0:
            session.commit()
            log(f"  {hearing_id} hearings: {time.perf_counter() - started:.0f} s")
    session.commit()
    indexed = time.perf_counter()
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO segment_fts(segment_fts) VALUES('rebuild')"))
        session.execute(text("INSERT INTO segment_fts(segment_fts) VALUES('optimize')"))
        session.commit()
        session.execute(text("ANALYZE"))
    else:
        session.commit()
        # As autovacuum leaves a live database: rows marked visible, statistics gathered. A
        # table read straight after a bulk load sets hint bits as it goes, and the first
        # searches pay for writing them.
        autocommit = session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT")
        with autocommit as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    session.commit()
    log(f"  index: {time.perf_counter() - indexed:.0f} s")
    return {
        "hearings": HEARINGS,
        "lines": segment_id,
        "words": None,
        "seconds": time.perf_counter() - started,
    }
