"""Several clerks doing the same thing at the same moment: one wins, the others get a 409.

The app is served by a real threaded HTTP server on 127.0.0.1 over a SQLite file (and, in the
PostgreSQL pass, PostgreSQL); each thread is a separate signed-in browser session.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from hearings.extensions import db
from hearings.models import Hearing, Matter, Recording
from tests.web.conftest import tone_wav

CLERKS = 8


@pytest.fixture
def server(app, clerk):
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def app_config(app_config):
    # Served by a real server: URLs are those of 127.0.0.1, not the test client's host name.
    config = dict(app_config)
    config.pop("SERVER_NAME", None)
    return config


def signed_in(base: str, clerk: dict) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base}/auth/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/auth/login",
        data={**clerk, "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status_code == 302
    return session, token


def at_once(count: int, action) -> list[requests.Response]:
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        return action(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_simultaneous_identical_uploads_make_one_hearing(app, server, clerk, tmp_path):
    recording = tone_wav(tmp_path / "hearing.wav", seconds=3.0).read_bytes()
    sessions = [signed_in(server, clerk) for _ in range(CLERKS)]

    def upload(index: int) -> requests.Response:
        session, token = sessions[index]
        return session.post(
            f"{server}/hearings/new",
            data={
                "title": "Facial recognition hearing",
                "body": "Equal Rights Commission",
                "date": "2026-03-12",
                "csrf_token": token,
            },
            files={"recording": ("hearing.wav", recording, "audio/wav")},
            allow_redirects=False,
        )

    responses = at_once(CLERKS, upload)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [409] * (CLERKS - 1), [r.text[-400:] for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert "already uploaded" in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Hearing.id))) == 1
        assert db.session.scalar(select(func.count(Recording.id))) == 1
        hearing_id = db.session.scalars(select(Hearing.id)).one()
    assert f"/hearings/{hearing_id}" in refused.text


def test_simultaneous_identical_matters_make_one_matter(app, server, clerk):
    sessions = [signed_in(server, clerk) for _ in range(CLERKS)]

    def add(index: int) -> requests.Response:
        session, token = sessions[index]
        return session.post(
            f"{server}/matters/new",
            data={
                "title": "Ordinance prohibiting city use of facial recognition technology",
                "file_number": "ERC 26-0148",
                "csrf_token": token,
            },
            allow_redirects=False,
        )

    responses = at_once(CLERKS, add)

    statuses = [r.status_code for r in responses]
    assert statuses.count(302) == 1
    assert all(status in (409, 422) for status in statuses if status != 302), statuses
    with app.app_context():
        assert db.session.scalar(select(func.count(Matter.id))) == 1
