"""The Redis queue backend, used when several worker machines share one queue."""

from __future__ import annotations

import shutil
import socket
import subprocess

import pytest
import redis

from hearings.extensions import db
from hearings.models import Hearing
from tests.fakes import FakePipeline
from tests.jobs import job_state, running_consumer, transcriptions_waiting, wait_for
from tests.web.conftest import hearing_form, sign_in, tone_wav


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """Start a private, non-persistent Redis server; return its URL."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = free_loopback_port()
    process = subprocess.Popen(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    connection = redis.Redis.from_url(url)

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"redis-server exited with {process.returncode}")
        try:
            return connection.ping()
        except redis.ConnectionError:
            return False

    try:
        wait_for(answers, timeout=10)
        yield url
    finally:
        connection.close()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def pipeline():
    return FakePipeline()


@pytest.fixture
def app_config(app_config, redis_url, pipeline):
    return {
        **app_config,
        "QUEUE_IMMEDIATE": False,
        "QUEUE_REDIS_URL": redis_url,
        "PIPELINE_FACTORY": lambda config: pipeline,
    }


def test_job_queued_on_redis_is_run_by_the_consumer(
    app, client, clerk, tmp_path, redis_url, pipeline
):
    huey = app.extensions["task_queue"].huey
    assert type(huey).__name__ == "RedisHuey"
    assert sign_in(client, clerk["username"], clerk["password"]).status_code == 302
    assert hearing_form(client, tone_wav(tmp_path / "tone.wav")).status_code == 302
    with app.app_context():
        hearing = db.session.scalars(db.select(Hearing)).one()
        hearing_id, job_id = hearing.id, hearing.latest_job.id
    assert job_state(app, job_id)["status"] == "queued"
    # The task is on the server, not in this process.
    with redis.Redis.from_url(redis_url) as server:
        assert server.dbsize() >= 1
    assert huey.pending_count() == 1

    with running_consumer(app):
        done = wait_for(lambda: (s := job_state(app, job_id))["status"] == "done" and s)

    assert (done["progress"], done["attempts"]) == (100, 1)
    assert transcriptions_waiting(app) == 0
    assert len(pipeline.runs) == 1
    with app.app_context():
        assert len(db.session.get(Hearing, hearing_id).segments) == 3
