"""The hearing record web application."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import Flask, render_template

from hearings import config as settings
from hearings.extensions import csrf, db, htmx, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

# Scripts only from this site's own files (no inline script, no eval), nothing may frame the
# pages, and no other origin is reached. Inline style attributes stay allowed: the timeline
# and tally bars are drawn with them, and htmx adds its indicator styles.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from hearings.storage import UploadRequest

    app.request_class = UploadRequest
    from hearings.record_ids import RecordIdConverter

    # Every <int:...> in a route is a database key: a number too large for one is "not found".
    app.url_map.converters["int"] = RecordIdConverter
    app.config.from_mapping(settings.defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(settings.from_environment())
    else:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    htmx.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in as a clerk to do that."
    from hearings import public_record

    public_record.install(app)

    from hearings.jobs import TaskQueue

    TaskQueue(app)

    from hearings.views import register_blueprints

    register_blueprints(app)
    from hearings.timecodes import clock, precise_clock

    app.add_template_filter(clock, "clock")
    app.add_template_filter(precise_clock, "precise_clock")
    from hearings.jobs import stage_label

    app.add_template_filter(stage_label, "stage_label")
    from hearings.exports import other_language
    from transcription.languages import LANGUAGE_NAMES, describe

    app.add_template_global(other_language, "other_language")
    app.add_template_global(describe, "language_name")
    # The languages a clerk may say a line was spoken in, by name.
    app.jinja_env.globals["line_languages"] = sorted(LANGUAGE_NAMES.items(), key=lambda i: i[1])
    _register_error_pages(app)

    from hearings.cli import register_commands

    register_commands(app)

    if app.config["SECURE_COOKIES"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)

    @app.after_request
    def vary_on_htmx(response):
        # One URL serves a full page or a fragment, so caches must key on the header.
        response.vary.add("HX-Request")
        return response

    @app.after_request
    def security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"


def _instance_secret(instance: Path) -> str:
    """Return a secret key kept in the instance folder, so sign-ins survive restarts."""
    path = instance / "secret_key"
    try:
        # Exclusive create: of several server processes starting at once, one writes the key
        # and all of them read that one.
        with open(path, "x") as created:
            path.chmod(0o600)
            created.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    return path.read_text().strip()


def _register_error_pages(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    def page(status: int, title: str, message: str):
        return render_template("error.html", title=title, message=message), status

    app.register_error_handler(
        CSRFError,
        lambda e: page(
            400,
            "Form expired",
            "The form expired or was sent from elsewhere. Go back, reload the page and try again.",
        ),
    )
    app.register_error_handler(
        413,
        lambda e: page(
            413,
            "File too large",
            "The file is larger than this site accepts "
            f"({app.config['MAX_CONTENT_LENGTH'] // 1024**2} MB). "
            "Ask an administrator to raise the limit.",
        ),
    )
    app.register_error_handler(
        404, lambda e: page(404, "Not found", "There is nothing at this address.")
    )
    app.register_error_handler(
        403, lambda e: page(403, "Not allowed", "Your account cannot do that.")
    )
    app.register_error_handler(
        400,
        lambda e: page(400, "Bad request", getattr(e, "description", "The request was not valid.")),
    )
    app.register_error_handler(
        405, lambda e: page(405, "Not allowed", "That action is not available here.")
    )

    def conflict(error):
        # Two people changed the same thing at the same moment and a unique key of the
        # database refused the second. Nothing was written by this request.
        db.session.rollback()
        app.logger.warning("conflicting write refused: %s", error.orig)
        return page(
            409,
            "Changed at the same time",
            "Someone else saved the same thing a moment ago, so this change was not made. "
            "Reload the page to see what is stored now, and try again if it is still needed.",
        )

    def busy(error):
        db.session.rollback()
        app.logger.warning("database busy: %s", error.orig)
        response = page(
            503,
            "Busy",
            "The record is busy saving other work. Nothing was changed; try again in a moment.",
        )
        return response[0], 503, {"Retry-After": "5"}

    def too_many(error):
        limit = limiter.current_limit
        wait = max(int(limit.reset_at - time.time()), 1) if limit else 60
        return page(
            429,
            "Too many requests",
            f"Too many requests from here in a short time. Try again in {_duration(wait)}.",
        )

    app.register_error_handler(429, too_many)

    def unstorable(error):
        # The database refused a value the request carried (PostgreSQL takes no NUL byte in
        # text, not even in a search): the request is at fault, and nothing was written.
        db.session.rollback()
        return page(
            400,
            "Bad request",
            "The request held characters that cannot be stored or searched (such as a NUL "
            "byte). Remove them and try again.",
        )

    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    def stale(error):
        # A line changed between reading and writing it (two editors saving at one moment).
        db.session.rollback()
        return page(
            409,
            "Changed at the same time",
            "Someone else saved this line a moment ago, so your change was not made. Reload "
            "the page to see the current version, and make your change again if still needed.",
        )

    from sqlalchemy.orm.exc import StaleDataError

    app.register_error_handler(StaleDataError, stale)
    app.register_error_handler(DataError, unstorable)
    app.register_error_handler(IntegrityError, conflict)
    app.register_error_handler(OperationalError, busy)
