"""Search at archive scale: 1,000 hearing-hours, the service and the /search page.

Builds the archive of bench/search_archive.py (SQLite: once, kept in instance/bench/ and reused;
PostgreSQL: in the database TEST_DATABASE_URL names, emptied first unless it already holds the
archive; --rebuild builds it again), then times a fixed set of 12 queries under every filter
(none, body, person, organization, matter, position, date range), and each filter alone with
no words (browsing): the search service (`search_lines`, one page
with its total) and the whole /search page as the public gets it. A LIKE scan of the same lines
runs in the same process, as the baseline. Prints median and p95 and the targets (service
p95 <= 50 ms, page p95 <= 100 ms); exits 1 when a target is missed.

    python bench/search_speed.py                              # SQLite
    scripts/with_postgres.sh .venv/bin/python bench/search_speed.py   # PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import search_archive  # noqa: E402

SERVICE_P95_MS, PAGE_P95_MS = 50.0, 100.0
SQLITE_FILE = REPO / "instance" / "bench" / "search-archive-v2.sqlite3"


def queries() -> list[str]:
    """The fixed query set: common and rare words, phrases, OR, NOT, prefixes, an apostrophe."""
    made_up = search_archive.vocabulary(random.Random(7))
    return [
        "council",  # in about one line in ten
        "budget",
        '"public safety"',
        "police OR policing",
        "amendment*",
        "resolution -budget",
        "childcare",
        "jumpstart",
        "land use",
        made_up[50],  # frequent in the Zipf tail
        made_up[20_000],  # rare
        "don't",
    ]


def filter_sets(session) -> list[tuple[str, dict]]:
    """Every filter of the search page, each with a value that selects real lines."""
    from sqlalchemy import select

    from hearings.models import AgendaItem
    from hearings.models.testimony import testimony_organizations

    matter = session.scalar(select(AgendaItem.matter_id).order_by(AgendaItem.id).limit(1))
    organization = session.scalar(
        select(testimony_organizations.c.organization_id)
        .order_by(testimony_organizations.c.testimony_id)
        .limit(1)
    )
    return [
        ("none", {}),
        ("body", {"body": 3}),
        ("person", {"person": 5}),
        ("organization", {"organization": organization}),
        ("matter", {"matter": matter}),
        ("position", {"position": "oppose"}),
        ("date range", {"from": "2021-01-01", "to": "2021-12-31"}),
    ]


def as_filters(args: dict):
    from datetime import date

    from hearings.search import SearchFilters

    return SearchFilters(
        body_id=args.get("body"),
        person_id=args.get("person"),
        organization_id=args.get("organization"),
        matter_id=args.get("matter"),
        position=args.get("position"),
        date_from=date.fromisoformat(args["from"]) if "from" in args else None,
        date_to=date.fromisoformat(args["to"]) if "to" in args else None,
    )


def timed(call, repeats: int) -> list[float]:
    call()  # warm: the first run reads the pages from disk
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]


def report(name: str, samples: list[float], target: float | None = None) -> bool:
    met = target is None or p95(samples) <= target
    goal = f"  (target p95 <= {target:.0f} ms: {'met' if met else 'MISSED'})" if target else ""
    print(
        f"{name:<44}{statistics.median(samples):>9.1f}{p95(samples):>9.1f}{max(samples):>9.1f}"
        f"{len(samples):>6}{goal}"
    )
    return met


def prepare(url: str | None, rebuild: bool) -> str:
    """Return the database URL, building the archive there when it is not built yet.

    SQLite's archive is built under another name and renamed when complete, so a build that
    was interrupted, however, is never taken for a finished one.
    """
    if url is not None:
        if rebuild or not _built(url):
            _empty_postgres(url)
            _migrate_and_build(url)
        _migrate(url)  # a kept archive follows the schema (a no-op when current)
        return url
    SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
    if rebuild:
        SQLITE_FILE.unlink(missing_ok=True)
    if not SQLITE_FILE.exists():
        building = SQLITE_FILE.with_suffix(".building")
        building.unlink(missing_ok=True)
        _migrate_and_build(f"sqlite:///{building}")
        building.rename(SQLITE_FILE)
    _migrate(f"sqlite:///{SQLITE_FILE}")
    return f"sqlite:///{SQLITE_FILE}"


def _migrate(url: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        env={**os.environ, "HEARINGS_DATABASE_URL": url}, cwd=REPO, check=True,
        capture_output=True,
    )  # fmt: skip


def _migrate_and_build(url: str) -> None:
    print("building the archive (once; a few minutes)")
    _migrate(url)
    _build(url)


def _built(url: str) -> bool:
    """Whether this PostgreSQL database already holds the whole archive (a run left it)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            lines = connection.execute(text("SELECT count(*) FROM segments")).scalar()
    except Exception:  # no schema yet
        return False
    finally:
        engine.dispose()
    return lines == search_archive.HEARINGS * search_archive.LINES_PER_HEARING


def _empty_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _build(url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(url)
    with Session(engine) as session:
        built = search_archive.build(session)
    engine.dispose()
    print(f"built {built['lines']:,} lines in {built['seconds']:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="build the SQLite archive again")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each case")
    options = parser.parse_args()
    url = prepare(os.environ.get("TEST_DATABASE_URL"), options.rebuild)
    os.environ.update(
        {
            "HEARINGS_DATABASE_URL": url,
            "HEARINGS_SECRET_KEY": "bench",
            "HEARINGS_RATELIMIT_ENABLED": "false",
        }
    )
    from sqlalchemy import func, select, text

    from hearings import create_app
    from hearings.extensions import db
    from hearings.models import Segment
    from hearings.search import search_lines

    app = create_app()
    dialect = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    service, page, browse_service, browse_page, scans = [], [], [], [], []
    slowest: list[tuple[float, str]] = []
    by_filter: dict[str, dict[str, list[float]]] = {}
    with app.app_context():
        session = db.session
        lines = session.scalar(select(func.count()).select_from(Segment))
        sets = filter_sets(session)
        print(f"\n{dialect}: {lines:,} lines in the archive\n")
        for query in queries():
            word = query.strip('"*-').split()[0].lower()
            scans += timed(
                lambda w=word: session.execute(
                    text("SELECT count(*) FROM segments WHERE lower(text) LIKE :w"),
                    {"w": f"%{w}%"},
                ).scalar(),
                1,
            )
            for name, args in sets:
                filters = as_filters(args)
                samples = timed(
                    lambda q=query, f=filters: search_lines(session, q, f), options.repeats
                )
                service += samples
                by_filter.setdefault(name, {"service": [], "page": []})["service"] += samples
                slowest.append((max(samples), f"service {query!r} + {name}"))
                session.rollback()
        for _, args in sets[1:]:
            chosen = as_filters(args)
            browse_service += timed(lambda f=chosen: search_lines(session, "", f), options.repeats)
    client = app.test_client()
    for query in queries():
        for name, args in sets:
            url_path = "/search?" + urlencode({"q": query, **args})
            samples = timed(lambda u=url_path: _get(client, u), options.repeats)
            page += samples
            by_filter[name]["page"] += samples
            slowest.append((max(samples), f"page {query!r} + {name}"))
    for _, args in sets[1:]:
        browse_url = "/search?" + urlencode(args)
        browse_page += timed(lambda u=browse_url: _get(client, u), options.repeats)

    print(f"{'ms':<44}{'median':>9}{'p95':>9}{'max':>9}{'runs':>6}")
    met = [
        report("LIKE scan of every line (baseline)", scans),
        report("service: 12 queries x 7 filter settings", service, SERVICE_P95_MS),
        report("service: each filter alone (browsing)", browse_service, SERVICE_P95_MS),
        report("/search page: 12 queries x 7 filter settings", page, PAGE_P95_MS),
        report("/search page: each filter alone", browse_page, PAGE_P95_MS),
    ]
    print(
        f"\nservice p95 / LIKE scan median: "
        f"{p95(service) / statistics.median(scans):.2f}; "
        f"page p95 / service p95: {p95(page) / p95(service):.2f}"
    )
    print("\np95 by filter (ms): " + ", ".join(
        f"{name} {p95(runs['service']):.0f} / {p95(runs['page']):.0f}"
        for name, runs in by_filter.items()
    ) + "  (service / page)")  # fmt: skip
    print("slowest cases:")
    for took, case in sorted(slowest, reverse=True)[:5]:
        print(f"  {took:7.1f} ms  {case}")
    return 0 if all(met) else 1


def _get(client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")


if __name__ == "__main__":
    sys.exit(main())
