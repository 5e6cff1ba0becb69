"""Flask extensions, created here once and bound to the app in create_app()."""

from pathlib import Path

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, event

from hearings.models.base import Base, install_text_cleaning

db = SQLAlchemy(model_class=Base)
# Every string column is stored NFC-normalised, without control characters, cut to its length.
install_text_cleaning()
htmx = HTMX()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are named per route (sign-in, upload, search) from the configuration; see config.py.
limiter = Limiter(key_func=get_remote_address)
# Alembic migrations live inside the package, so an installed copy can upgrade its database.
migrate = Migrate(directory=str(Path(__file__).resolve().parent / "migrations"))


@event.listens_for(Engine, "connect")
def _sqlite_enforces_constraints(dbapi_connection, connection_record) -> None:
    """Make every SQLite connection enforce foreign keys, as PostgreSQL always does.

    SQLite ignores them unless asked on each connection, so a row could point at one that
    was deleted (a testimony quoting lines that no longer exist). WAL and a busy timeout let
    the site read while the worker writes a transcript, instead of failing with "locked".
    """
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "connect")
def _postgres_plans_each_statement(dbapi_connection, connection_record) -> None:
    """Have PostgreSQL plan each statement for the values it is run with.

    psycopg prepares a statement on the server once it has run five times, and PostgreSQL may
    then keep one generic plan, made without knowing the values: for search, the plan of the
    first few organizations or positions. One such plan read an organization's lines in
    134 ms instead of 2. Planning a search anew costs well under a millisecond.
    """
    if type(dbapi_connection).__module__.startswith("psycopg"):
        dbapi_connection.prepare_threshold = None
