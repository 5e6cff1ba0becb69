"""Fixtures shared by every test: an app on a throwaway database, a client, a clerk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hearings import create_app
from hearings.extensions import db
from hearings.models import User

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def shared(*parts: str) -> Path:
    """Return a file under ../shared/data, skipping the test if the data is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{'/'.join(parts)}")
    return path


@pytest.fixture
def database_url(tmp_path):
    """SQLite in a temp dir by default; TEST_DATABASE_URL runs the suite on PostgreSQL."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_config(tmp_path, database_url):
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "QUEUE_FILE": str(tmp_path / "queue.sqlite3"),
        "EXPORT_FOLDER": str(tmp_path / "exports"),
        "QUEUE_IMMEDIATE": True,
        "MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "SERVER_NAME": "hearings.test",
        # Suites sign in and search hundreds of times from one address; the limits have
        # their own tests (tests/web/test_rate_limits.py).
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clerk(app):
    with app.app_context():
        user = User(username="clerk", role="clerk")
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.commit()
    return {"username": "clerk", "password": "correct horse battery"}
