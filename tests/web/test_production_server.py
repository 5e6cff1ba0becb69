"""The site is served by gunicorn with the project's settings, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import requests

from tests.conftest import ROOT
from tests.jobs import wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_serves_the_site_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "HEARINGS_DATABASE_URL": f"sqlite:///{tmp_path / 'hearings.sqlite3'}",
        "HEARINGS_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "HEARINGS_QUEUE_FILE": str(tmp_path / "queue.sqlite3"),
        "HEARINGS_SECRET_KEY": "test",
        "HEARINGS_BIND": f"127.0.0.1:{port}",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:hearings.gunicorn_config", "app:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def answers():
            try:
                return [requests.get(f"http://127.0.0.1:{port}/", timeout=5)]
            except requests.ConnectionError:
                return None

        [response] = wait_for(answers, timeout=60, interval=0.2)
        assert response.status_code == 200
        assert "gunicorn" in response.headers.get("Server", "")
        # Several requests at once are served side by side by the threads.
        with requests.Session() as session:
            assert all(
                session.get(f"http://127.0.0.1:{port}/search?q=x", timeout=5).status_code == 200
                for _ in range(5)
            )
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()

    assert server.returncode == 0, output
    assert "Segmentation fault" not in output and "Traceback" not in output
    assert "Booting worker" in output and "Shutting down" in output
