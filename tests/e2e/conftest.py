"""Browser tests: the app on a live server with its queue worker, driven in chromium by Playwright.

Reuse in another module: request `live_server` (it has `.url` and `.app`) and `page`; override
`live_app_config` to change settings, e.g. a fake pipeline:

    @pytest.fixture
    def live_app_config(live_app_config):
        return {**live_app_config, "PIPELINE_FACTORY": lambda config: FakePipeline()}
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.jobs import running_consumer

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# No sandbox (containers and root lack the user namespaces it needs) and nothing that phones home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Real-model jobs on a busy machine can take a while; assertions on the page wait this long.
SLOW_MS = 180_000


@pytest.fixture
def live_app_config() -> dict:
    """Return the settings the live app adds to the test defaults; override to change them."""
    return {
        # Links and og:url take the live server's own host and port.
        "SERVER_NAME": None,
        # A real queue (a SQLite file in tmp_path) and a worker, so the progress bar really polls.
        "QUEUE_IMMEDIATE": False,
        "PIPELINE_FACTORY": None,
        "DIARIZER": "none",
        "WHISPER_CPU_THREADS": 2,
    }


@pytest.fixture
def app_config(app_config, live_app_config):
    return {**app_config, **live_app_config}


class LiveServer:
    """The app served over HTTP from a thread, with a queue worker running beside it."""

    def __init__(self, url: str, app: Flask):
        self.url = url
        self.app = app
        self._worker: ExitStack | None = None

    def start_worker(self) -> None:
        if self._worker is None:
            stack = ExitStack()
            stack.enter_context(running_consumer(self.app))
            self._worker = stack

    def stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    @contextmanager
    def jobs_held(self) -> Iterator[None]:
        """Keep queued jobs waiting inside the block, so a page can be seen while they wait."""
        self.stop_worker()
        try:
            yield
        finally:
            self.start_worker()


class ClosingFileWrapper:
    """The test server's wsgi.file_wrapper: the file is closed even when the browser hangs up.

    Seeking the player makes the browser drop its running range request. werkzeug's development
    server can then fail while draining the connection and skip the response's close(), leaving
    the recording's file open (gunicorn, which serves the site, always closes it). A generator
    closes its file when it is finished or collected.
    """

    def __init__(self, file, buffer_size: int = 8192):
        self.file, self.buffer_size = file, buffer_size

    def __iter__(self):
        try:
            while chunk := self.file.read(self.buffer_size):
                yield chunk
        finally:
            self.file.close()

    def close(self) -> None:
        self.file.close()


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """Serve the test app on a free loopback port, with its queue worker running."""

    def served(environ, start_response):
        environ["wsgi.file_wrapper"] = ClosingFileWrapper
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    live.start_worker()
    try:
        yield live
    finally:
        live.stop_worker()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's chromium once per run (Playwright's own browsers are never downloaded)."""
    if not CHROMIUM.exists():
        pytest.skip(f"needs chromium at {CHROMIUM} (Debian package chromium; or set CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """Return a fresh browser tab (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    # Every page runs under the site's Content-Security-Policy: a violation fails the test.
    violations: list[str] = []
    tab.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield tab
    context.close()
    assert violations == [], violations


def sign_in(page, credentials: dict) -> None:
    """Sign in through the form, as a clerk would."""
    page.goto("/auth/login")
    page.get_by_label("Username").fill(credentials["username"])
    page.get_by_label("Password").fill(credentials["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
