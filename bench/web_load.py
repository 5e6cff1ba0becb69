"""Searches under load: gunicorn (the run command's server) against Flask's development server.

Serves the 1,000 hearing-hour archive of bench/search_speed.py (built first if it is not
there), then, for each server in turn on a loopback port: 200 searches sent at once from 200
clients, cycling through the benchmark's queries and filters (p50, p95, errors), and 400 idle
connections held open (the server's thread count while they wait). Loopback only; every loop
is bounded.

    python bench/web_load.py
    python bench/web_load.py --small    # a throwaway instance of 20 short hearings instead
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SEARCHES, CLIENTS, IDLE = 200, 200, 400


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_instance(folder: Path) -> dict:
    env = {
        **os.environ,
        "HEARINGS_DATABASE_URL": f"sqlite:///{folder / 'hearings.sqlite3'}",
        "HEARINGS_UPLOAD_FOLDER": str(folder / "uploads"),
        "HEARINGS_QUEUE_FILE": str(folder / "queue.sqlite3"),
        "HEARINGS_SECRET_KEY": "bench",
        # The limits would answer most of this load with 429; the server is measured here.
        "HEARINGS_RATELIMIT_ENABLED": "false",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        env=env, cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    os.environ.update({k: v for k, v in env.items() if k.startswith("HEARINGS_")})
    from datetime import date

    from hearings import create_app
    from hearings.extensions import db
    from hearings.models import Body, Hearing
    from hearings.transcripts import store_transcript
    from tests.fakes import sample_transcript

    app = create_app()
    with app.app_context():
        for number in range(20):
            hearing = Hearing(
                title=f"Hearing {number}", body=Body(name=f"Body {number}"), date=date(2026, 3, 1)
            )
            db.session.add(hearing)
            db.session.commit()
            store_transcript(db.session, hearing, sample_transcript())
            db.session.commit()
        db.engine.dispose()
    return env


def archive_instance(folder: Path) -> dict:
    """Return the environment that serves the benchmark archive (building it if needed)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import search_speed

    url = search_speed.prepare(None, rebuild=False)
    return {
        **os.environ,
        "HEARINGS_DATABASE_URL": url,
        "HEARINGS_UPLOAD_FOLDER": str(folder / "uploads"),
        "HEARINGS_QUEUE_FILE": str(folder / "queue.sqlite3"),
        "HEARINGS_SECRET_KEY": "bench",
        "HEARINGS_RATELIMIT_ENABLED": "false",
    }


def archive_searches() -> list[str]:
    """Return the benchmark's queries under each of its filters, as /search URLs."""
    from urllib.parse import urlencode

    import search_speed

    filters = [{}, {"body": 3}, {"person": 5}, {"position": "oppose"},
               {"from": "2021-01-01", "to": "2021-12-31"}]  # fmt: skip
    return [
        "/search?" + urlencode({"q": query, **chosen})
        for query in search_speed.queries()
        for chosen in filters
    ]


def threads_of(pid: int) -> int:
    total = 0
    for candidate in [pid, *children(pid)]:
        with contextlib.suppress(OSError):
            total += len(os.listdir(f"/proc/{candidate}/task"))
    return total


def children(pid: int) -> list[int]:
    try:
        return [
            int(c)
            for t in Path(f"/proc/{pid}/task").iterdir()
            for c in (t / "children").read_text().split()
        ]
    except OSError:
        return []


def measure(name: str, command: list[str], env: dict, port: int, urls: list[str]) -> dict:
    server = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.2)

        start = threading.Barrier(CLIENTS)

        def search(index: int) -> tuple[float, int]:
            start.wait(timeout=60)  # all clients ask at once
            started = time.perf_counter()
            try:
                url = base + urls[index % len(urls)]
                code = requests.get(url, timeout=60).status_code
            except requests.RequestException:
                code = 0
            return time.perf_counter() - started, code

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(search, range(SEARCHES)))
        times = sorted(t for t, _ in results)
        errors = sum(1 for _, code in results if code != 200)
        idle = []
        for _ in range(IDLE):
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            idle.append(connection)
        time.sleep(1.0)
        threads = threads_of(server.pid)
        for connection in idle:
            connection.close()
        return {
            "name": name,
            "p50": statistics.median(times),
            "p95": times[int(len(times) * 0.95) - 1],
            "errors": errors,
            "threads": threads,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    small = "--small" in sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="web-load-") as folder:
        if small:
            env, urls = build_instance(Path(folder)), ["/search?q=facial+recognition"]
        else:
            env, urls = archive_instance(Path(folder)), archive_searches()
        rows = []
        port = free_port()
        rows.append(
            measure(
                "gunicorn (make serve)",
                [sys.executable, "-m", "gunicorn", "-c", "python:hearings.gunicorn_config",
                 "app:app"],
                {**env, "HEARINGS_BIND": f"127.0.0.1:{port}"},
                port,
                urls,
            )
        )  # fmt: skip
        port = free_port()
        rows.append(
            measure(
                "flask run (development)",
                [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)],
                env,
                port,
                urls,
            )
        )
    where = "20 short hearings" if small else "the 1,000 hearing-hour archive"
    print(f"{SEARCHES} searches from {CLIENTS} clients at once against {where}; "
          f"then {IDLE} idle connections held\n")  # fmt: skip
    print(f"{'server':<26}{'p50 s':>8}{'p95 s':>8}{'errors':>8}{'threads (idle)':>16}")
    for row in rows:
        print(
            f"{row['name']:<26}{row['p50']:>8.3f}{row['p95']:>8.3f}{row['errors']:>8}"
            f"{row['threads']:>16}"
        )
    gunicorn, development = rows
    print(f"\np95 gunicorn / development: {gunicorn['p95'] / development['p95']:.2f}")


if __name__ == "__main__":
    main()
