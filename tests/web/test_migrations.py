"""Upgrades keep data: the migrations build the models' schema and carry old databases forward."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from hearings import create_app
from hearings.extensions import db
from hearings.search import include_in_migrations

BASELINE = "0001_initial"


@pytest.fixture
def bare_app(app_config):
    """An app whose database has no tables at all (migrations make them)."""
    app = create_app(app_config)
    with app.app_context():
        _empty(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
        _empty(db.engine)
        db.engine.dispose()


def _empty(engine) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            names = inspect(connection).get_table_names()
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for name in names:
                if not name.startswith("segment_fts_"):
                    connection.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


def _schema_differences(connection) -> list:
    context = MigrationContext.configure(
        connection, opts={"include_name": include_in_migrations, "compare_type": True}
    )
    return compare_metadata(context, db.metadata)


def _version(connection) -> str:
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_migrations_build_exactly_the_models_schema(bare_app) -> None:
    with bare_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert _schema_differences(connection) == []
            if connection.dialect.name == "sqlite":
                tables = inspect(connection).get_table_names()
                assert "segment_fts" in tables


def test_a_database_made_before_migrations_is_upgraded_in_place(bare_app) -> None:
    with bare_app.app_context():
        # What `flask init-db` used to leave: the first revision's tables, no version table.
        upgrade(revision=BASELINE)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))
            connection.execute(text("INSERT INTO bodies (name) VALUES ('Common Council')"))
        upgrade()
        with db.engine.connect() as connection:
            assert _version(connection) == _head()
            names = connection.execute(text("SELECT name FROM bodies")).scalars().all()
            assert names == ["Common Council"]


def test_every_row_survives_an_upgrade_from_the_first_revision(bare_app) -> None:
    with bare_app.app_context():
        upgrade(revision=BASELINE)
        with db.engine.begin() as connection:
            for statement in BASELINE_ROWS:
                connection.execute(text(statement))
            before = _all_rows(connection)
        upgrade()
        with db.engine.connect() as connection:
            assert _version(connection) == _head()
            after = _all_rows(connection, tables=before)
            assert after == before
            assert _schema_differences(connection) == []
            # Spoken testimony is anchored to the stretch and words of the lines it quoted.
            anchor = connection.execute(
                text("SELECT quote_start_ms, quote_end_ms, quote_text FROM testimonies")
            ).one()
            assert tuple(anchor) == (0, 8000, "I oppose this. It is a lead generator.")
            # Hearings were public before drafts existed: they stay published, and their
            # lines are nobody's corrections yet.
            published = connection.execute(text("SELECT published_at FROM hearings")).scalar()
            assert published is not None
            assert (
                connection.execute(
                    text("SELECT count(*) FROM segments WHERE corrected OR version <> 1")
                ).scalar()
                == 0
            )
            if connection.dialect.name == "sqlite":
                # The migrations turned enforcement off for their own connection only.
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_latest_migration_can_be_undone(bare_app) -> None:
    with bare_app.app_context():
        upgrade()
        downgrade(revision="-1")
        upgrade()
        with db.engine.connect() as connection:
            assert _schema_differences(connection) == []


def _head() -> str:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def _all_rows(connection, tables=None) -> dict[str, list[tuple]]:
    """Return every row of every table the first revision had, in a stable order."""
    names = tables or [
        name
        for name in inspect(connection).get_table_names()
        if name != "alembic_version" and not name.startswith("segment_fts")
    ]
    rows = {}
    for name in names:
        columns = [c["name"] for c in inspect(connection).get_columns(name)]
        if tables is not None:
            columns = [c for c in columns if c in _BASELINE_COLUMNS[name]]
        else:
            _BASELINE_COLUMNS[name] = columns
        listed = ", ".join(f'"{c}"' for c in columns)
        rows[name] = [
            tuple(row)
            for row in connection.execute(text(f'SELECT {listed} FROM "{name}" ORDER BY 1'))
        ]
    return rows


_BASELINE_COLUMNS: dict[str, list[str]] = {}

# One row (or a few) in every table of the first revision, as a clerk's database would hold.
BASELINE_ROWS = [
    "INSERT INTO users (id, username, password_hash, role, created_at) "
    "VALUES (1, 'clerk', 'x', 'clerk', '2026-01-05 10:00:00')",
    "INSERT INTO bodies (id, name, size) VALUES (1, 'Common Council', 15)",
    "INSERT INTO organizations (id, name) VALUES (1, 'ACLU of Wisconsin')",
    "INSERT INTO organization_aliases (id, organization_id, key, name) "
    "VALUES (1, 1, 'aclu wi', 'ACLU-WI')",
    "INSERT INTO people (id, name, title, organization_id) "
    "VALUES (1, 'Ron Jansen', 'Resident', 1), (2, 'Alder Jones', NULL, NULL)",
    "INSERT INTO memberships (id, person_id, body_id, role) VALUES (1, 2, 1, 'member')",
    "INSERT INTO recordings (id, sha256, original_filename, stored_name, size_bytes, "
    "duration_ms, media_type, uploaded_at) VALUES (1, 'ab', 'h.wav', 'ab/ab.wav', 10, 60000, "
    "'audio/wav', '2026-01-05 10:00:00')",
    "INSERT INTO hearings (id, title, body_id, date, recording_id, created_at) "
    "VALUES (1, 'Facial recognition', 1, '2026-01-05', 1, '2026-01-05 10:00:00')",
    "INSERT INTO jobs (id, hearing_id, status, stage, progress, attempts, reprocess, "
    "created_at) VALUES (1, 1, 'done', 'done', 100, 1, false, '2026-01-05 10:00:00')",
    "INSERT INTO speakers (id, hearing_id, label, person_id) VALUES (1, 1, 'SPEAKER_00', 1)",
    "INSERT INTO segments (id, hearing_id, start_ms, end_ms, text, speaker_id, crosstalk) "
    "VALUES (1, 1, 0, 4000, 'I oppose this.', 1, false), "
    "(2, 1, 4000, 8000, 'It is a lead generator.', 1, false)",
    "INSERT INTO words (id, segment_id, start_ms, end_ms, text, probability) "
    "VALUES (1, 1, 0, 500, 'I', 0.9)",
    "INSERT INTO matters (id, title, body_id) VALUES (1, 'Surveillance ordinance', 1)",
    "INSERT INTO matter_sponsors (matter_id, person_id) VALUES (1, 2)",
    "INSERT INTO matter_actions (id, matter_id, action) VALUES (1, 1, 'introduced')",
    "INSERT INTO agenda_items (id, hearing_id, matter_id, sequence, title) "
    "VALUES (1, 1, 1, 1, 'Item 1')",
    "INSERT INTO concerns (id, matter_id, name) VALUES (1, 1, 'racial bias')",
    "INSERT INTO testimonies (id, matter_id, person_id, hearing_id, kind, position, "
    "position_confirmed, created_at) "
    "VALUES (1, 1, 1, 1, 'oral', 'oppose', true, '2026-01-05 10:00:00')",
    "INSERT INTO testimony_segments (testimony_id, segment_id) VALUES (1, 1), (1, 2)",
    "INSERT INTO testimony_organizations (testimony_id, organization_id) VALUES (1, 1)",
    "INSERT INTO testimony_concerns (testimony_id, concern_id) VALUES (1, 1)",
    "INSERT INTO vote_events (id, matter_id, body_id, date, motion, threshold_rule) "
    "VALUES (1, 1, 1, '2026-01-20', 'Block the use', 'two_thirds')",
    "INSERT INTO person_votes (id, vote_event_id, person_id, value) VALUES (1, 1, 2, 'yes')",
    "INSERT INTO audit_log (id, user_id, at, action, target, hearing_id) "
    "VALUES (1, 1, '2026-01-05 10:00:00', 'name speaker', 'speaker 1', 1)",
]


def test_upgrading_keeps_voiceprints_only_of_members(bare_app) -> None:
    """Before voice privacy every named voice was kept; now members' only (and consenting)."""
    with bare_app.app_context():
        upgrade(revision="0004_corrections_publishing")
        with db.engine.begin() as connection:
            # Bodies, people, a seat, a recording and a hearing: what speakers need.
            for statement in BASELINE_ROWS[1:8]:
                connection.execute(text(statement))
            connection.execute(
                text(
                    "INSERT INTO speakers (id, hearing_id, label, person_id, embedding) VALUES "
                    "(1, 1, 'SPEAKER_00', 1, '[0.1, 0.2]'), (2, 1, 'SPEAKER_01', 2, '[0.3]'), "
                    "(3, 1, 'SPEAKER_02', NULL, 'null'), (4, 1, 'SPEAKER_03', NULL, '[0.5]')"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            kept = (
                connection.execute(
                    text("SELECT id FROM speakers WHERE embedding IS NOT NULL ORDER BY id")
                )
                .scalars()
                .all()
            )
    # Person 1 is a resident (gone), 2 sits on the council (kept), 3 had none, 4 is unnamed.
    assert kept == [2, 4]


def test_written_comments_stored_before_documents_become_documents(bare_app) -> None:
    """A written comment's PDF kept before documents existed is queued to be read."""
    with bare_app.app_context():
        upgrade(revision="0009_alert_subscriptions")
        with db.engine.begin() as connection:
            # No account row: the users table has gained required columns since the first one.
            for statement in BASELINE_ROWS[1:5] + [
                "INSERT INTO matters (id, title, body_id) VALUES (1, 'Surveillance', 1)",
                "INSERT INTO testimonies (id, matter_id, person_id, kind, position, "
                "position_confirmed, created_at, created_by_id, document_name) VALUES "
                "(1, 1, 1, 'written', 'oppose', true, '2026-01-05 10:00:00', NULL, "
                "'testimony/" + "c" * 64 + "/letter.pdf'), "
                "(2, 1, 1, 'written', 'oppose', true, '2026-01-06 10:00:00', NULL, NULL)",
            ]:
                connection.execute(text(statement))
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT testimony_id, matter_id, kind, title, stored_name, sha256, state, "
                    "page_count, published_at IS NOT NULL FROM documents"
                )
            ).all()
            assert [tuple(row) for row in rows] == [
                (
                    1,
                    1,
                    "written_comment",
                    "Written comment from Ron Jansen",
                    "testimony/" + "c" * 64 + "/letter.pdf",
                    "c" * 64,
                    "queued",
                    None,
                    True,
                )
            ]
            assert _schema_differences(connection) == []
