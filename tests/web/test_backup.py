"""flask backup / flask restore: a round trip gives back every row and every file, unchanged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from hearings import create_app
from hearings.extensions import db
from hearings.models import Hearing, Recording
from tests.web.conftest import tone_wav


def everything(app) -> dict:
    """Return every row of every table and the hash of every stored file.

    The schema version is left out: a restore stamps it when it upgrades the database.
    """
    with app.app_context(), db.engine.connect() as connection:
        tables = sorted(
            n
            for n in inspect(connection).get_table_names()
            if not n.startswith("segment_fts") and n != "alembic_version"
        )
        rows = {
            name: [tuple(r) for r in connection.execute(text(f'SELECT * FROM "{name}" ORDER BY 1'))]
            for name in tables
        }
    uploads = Path(app.config["UPLOAD_FOLDER"])
    files = {
        p.relative_to(uploads).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in uploads.rglob("*")
        if p.is_file()
    }
    return {"rows": rows, "files": files}


def search_hits(app, words: str) -> int:
    from hearings.search import SearchFilters, search_segments

    with app.app_context():
        return len(search_segments(db.session, words, SearchFilters()))


def flask(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def stored_record(app, heard_matter, tmp_path):
    """The heard matter plus a real recording file in the upload folder."""
    wav = tone_wav(tmp_path / "hearing.wav")
    with app.app_context():
        target = Path(app.config["UPLOAD_FOLDER"]) / "ab" / "hearing.wav"
        target.parent.mkdir(parents=True)
        target.write_bytes(wav.read_bytes())
        hearing = db.session.get(Hearing, heard_matter.hearing_id)
        hearing.recording = Recording(
            sha256=hashlib.sha256(wav.read_bytes()).hexdigest(),
            original_filename="hearing.wav",
            stored_name="ab/hearing.wav",
            size_bytes=wav.stat().st_size,
            duration_ms=2000,
            media_type="audio/wav",
        )
        db.session.commit()
    return heard_matter


def test_a_backup_restored_on_a_new_site_gives_back_every_row_and_file(
    app, app_config, stored_record, tmp_path
):
    before = everything(app)
    assert before["files"] and before["rows"]["segments"]
    folder = tmp_path / "backup-2026-03-12"

    made = flask(app, "backup", str(folder))
    assert made.exit_code == 0, made.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["rows"]["segments"] == len(before["rows"]["segments"])

    # A new site: empty database, empty upload folder.
    fresh_config = {**app_config, "UPLOAD_FOLDER": str(tmp_path / "new-uploads")}
    if fresh_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        fresh_config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    fresh = create_app(fresh_config)
    try:
        if not fresh_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            with fresh.app_context():
                db.drop_all()

        restored = flask(fresh, "restore", str(folder))
        assert restored.exit_code == 0, restored.output
        assert "all hashes checked" in restored.output

        assert everything(fresh) == before
        # The search index came back with the rows.
        assert search_hits(fresh, "lead generator") == 1
    finally:
        with fresh.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_damaged_backup_is_refused_before_anything_changes(app, stored_record, tmp_path):
    folder = tmp_path / "backup"
    assert flask(app, "backup", str(folder)).exit_code == 0
    recording = next((folder / "uploads").rglob("*.wav"))
    recording.write_bytes(recording.read_bytes()[:-10])
    before = everything(app)

    result = flask(app, "restore", "--replace", str(folder))

    assert result.exit_code != 0
    assert "the backup is damaged" in result.output and "hearing.wav" in result.output
    assert everything(app) == before


def test_restore_will_not_overwrite_a_record_unless_asked(app, stored_record, tmp_path):
    folder = tmp_path / "backup"
    assert flask(app, "backup", str(folder)).exit_code == 0

    result = flask(app, "restore", str(folder))

    assert result.exit_code != 0
    assert "--replace" in result.output


def test_backup_refuses_a_folder_that_is_not_empty(app, stored_record, tmp_path):
    folder = tmp_path / "used"
    folder.mkdir()
    (folder / "something").write_text("x")

    result = flask(app, "backup", str(folder))

    assert result.exit_code != 0
    assert "not empty" in result.output
