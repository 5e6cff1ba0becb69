"""Backups a clerk can trust: the database and every recording, with a manifest of hashes.

A backup folder holds ``database.sqlite3`` (SQLite's online-backup API: a consistent copy
while the site and worker keep running) or ``database.pgdump`` (``pg_dump`` custom format),
``uploads/`` (the recordings and documents, by their stored names) and ``manifest.json``
with the SHA-256 of every file and the row count of every table. Restoring checks every
hash before it touches anything, then replaces the database and copies the files back.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from transcription.audio import file_sha256

MANIFEST = "manifest.json"
FORMAT = 1
# Files that are work in progress, not part of the record.
_SKIPPED_UPLOADS = ("incoming",)


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why and what to do."""


@dataclass
class BackupSummary:
    folder: Path
    files: int
    bytes: int
    rows: dict[str, int]


def table_rows(engine: Engine) -> dict[str, int]:
    """Return the number of rows of every table of the record."""
    with engine.connect() as connection:
        names = sorted(
            n for n in inspect(connection).get_table_names() if not n.startswith("segment_fts")
        )
        return {
            name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in names
        }


def back_up(engine: Engine, upload_folder: str | os.PathLike, folder: Path) -> BackupSummary:
    """Write a backup of the database and the upload folder into a new, empty folder."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty; back up into a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict] = {}
    rows = table_rows(engine)
    if engine.dialect.name == "sqlite":
        database = folder / "database.sqlite3"
        # The site's SQLite database is a file; an in-memory one has no name and nothing to keep.
        assert engine.url.database is not None
        _sqlite_copy(Path(engine.url.database), database)
    elif engine.dialect.name == "postgresql":
        database = folder / "database.pgdump"
        _run_pg("pg_dump", ["--format=custom", "--no-owner", f"--file={database}"], engine)
    else:
        raise BackupError(f"backups of {engine.dialect.name} databases are not supported")
    files[database.name] = _entry(database)
    uploads = Path(upload_folder)
    for source in sorted(uploads.rglob("*")) if uploads.is_dir() else []:
        relative = source.relative_to(uploads)
        if not source.is_file() or relative.parts[0] in _SKIPPED_UPLOADS:
            continue
        target = folder / "uploads" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        files[f"uploads/{relative.as_posix()}"] = _entry(target)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dialect": engine.dialect.name,
        "database": database.name,
        "schema_revision": _revision(engine),
        "rows": rows,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return BackupSummary(folder, len(files), sum(f["bytes"] for f in files.values()), rows)


def verify(folder: Path) -> dict:
    """Return the backup's manifest after checking the hash of every file it lists."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder} has no {MANIFEST}: it is not a backup made here.") from None
    except json.JSONDecodeError as error:
        raise BackupError(f"{folder / MANIFEST} is damaged ({error}).") from None
    if manifest.get("format") != FORMAT:
        version = manifest.get("format")
        raise BackupError(f"{folder} was made by another version (format {version}).")
    damaged = []
    for name, entry in manifest["files"].items():
        path = folder / name
        if not path.is_file() or file_sha256(path) != entry["sha256"]:
            damaged.append(name)
    if damaged:
        listed = ", ".join(damaged[:5]) + (" …" if len(damaged) > 5 else "")
        raise BackupError(f"the backup is damaged: {len(damaged)} file(s) differ ({listed}).")
    return manifest


def restore(
    engine: Engine, upload_folder: str | os.PathLike, folder: Path, *, replace: bool = False
) -> dict:
    """Replace the database and upload folder with the backup's; return its manifest."""
    folder = Path(folder)
    manifest = verify(folder)
    if manifest["dialect"] != engine.dialect.name:
        raise BackupError(
            f"the backup is of a {manifest['dialect']} database; this site uses "
            f"{engine.dialect.name}."
        )
    current = table_rows(engine)
    if not replace and current.get("hearings", 0) + current.get("users", 0) > 0:
        raise BackupError(
            "this site's database already holds a record; restoring replaces it. "
            "Run again with --replace to do so (make a backup of it first)."
        )
    database = folder / manifest["database"]
    engine.dispose()
    if engine.dialect.name == "sqlite":
        assert engine.url.database is not None  # a file, as in back_up
        _sqlite_copy(database, Path(engine.url.database))
    else:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _run_pg("pg_restore", ["--no-owner", "--exit-on-error"], engine, archive=database)
    uploads = Path(upload_folder)
    for name in manifest["files"]:
        if not name.startswith("uploads/"):
            continue
        target = uploads / name.removeprefix("uploads/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / name, target)
    restored = table_rows(engine)
    wrong = {t: (n, restored.get(t)) for t, n in manifest["rows"].items() if restored.get(t) != n}
    if wrong:
        raise BackupError(f"restored row counts differ from the backup's: {wrong}")
    return manifest


def _entry(path: Path) -> dict:
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size}


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database over another with the online-backup API (consistent, live)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    # The copy keeps the source's journal mode; WAL is turned on again by the app's connections.


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps the client tools of each server version off PATH.
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=_version_key)
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} is not installed (Debian package postgresql-client).")


def _version_key(path: Path) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in path.parts[-3].split("."))


def _run_pg(tool: str, options: list[str], engine: Engine, archive: Path | None = None) -> None:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    command = [_pg_tool(tool), *options, f"--dbname={url}"]
    if archive is not None:
        command.append(str(archive))
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed: {result.stderr.strip()[-2000:]}")
