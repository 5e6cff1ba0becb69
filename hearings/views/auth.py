"""Clerk sign-in and the permission check used by editing views."""

import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from hearings.extensions import db, limiter, login_manager
from hearings.forms import LoginForm
from hearings.models import User
from hearings.models.audit import sign_in_attempt

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login_manager.user_loader
def load_user(user_id: str):
    """Return the account a session names, if its sign-in has not been ended since."""
    number, _, token = user_id.partition(":")
    if not number.isdigit() or not token:
        return None
    user = db.session.get(User, int(number))
    if user is None or not user.active or not secrets.compare_digest(user.session_token, token):
        return None
    return user


def can_edit() -> bool:
    """Return whether the signed-in account may change the record (the one clerk check)."""
    return bool(current_user.is_authenticated and current_user.can_edit)


def can_correct() -> bool:
    """Return whether the signed-in account may correct transcripts (editors and up)."""
    return bool(current_user.is_authenticated and current_user.can_correct)


def is_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.is_admin)


@bp.app_context_processor
def editing_context() -> dict:
    # Values, not queries: templates show each role's tools where these are true.
    return {"can_edit": can_edit(), "can_correct": can_correct(), "is_admin": is_admin()}


def _role_required(allowed: str):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not getattr(current_user, allowed):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# Signed-in accounts of the role through; others are sent to sign in, or refused (403).
clerk_required = _role_required("can_edit")
editor_required = _role_required("can_correct")
admin_required = _role_required("is_admin")


def _account_key() -> str:
    return "account:" + (request.form.get("username") or "").strip().casefold()[:80]


def _refused(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_refused
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_refused,
)
def login():
    """Sign a clerk in; wrong passwords are limited per address and per account."""
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalars(select(User).where(User.username == form.username.data)).first()
        if user and user.check_password(form.password.data) and not user.active:
            sign_in_attempt(db.session, form.username.data, None, request.remote_addr)
            db.session.commit()
            flash("This account has been disabled; ask an administrator.", "error")
            return render_template("auth/login.html", form=form), 403
        if user and user.check_password(form.password.data):
            login_user(user, remember=bool(form.remember.data))
            sign_in_attempt(db.session, form.username.data, user, request.remote_addr)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        sign_in_attempt(db.session, form.username.data, None, request.remote_addr)
        db.session.commit()
        flash("Wrong username or password.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out here and everywhere else this account is signed in."""
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    return redirect(url_for("index"))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an absolute URL here would make sign-in an open redirect.
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("index")
