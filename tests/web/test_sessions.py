"""Sessions end: sign-out, a new password or a disabled account ends every session and cookie."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from hearings.extensions import db
from hearings.models import User
from tests.web.conftest import csrf_token


def signed_in(app, clerk, remember: bool = False):
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    data = {**clerk, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302
    return client, response


def can_upload(client) -> bool:
    return client.get("/hearings/new").status_code == 200


def copy_of(app, client):
    """Another browser holding the same cookies (a copied session)."""
    other = app.test_client()
    for cookie in client._cookies.values():
        other.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return other


def flask(app, *args, **kwargs):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), **kwargs)


def test_remember_me_is_a_choice_and_lasts_30_days(app, clerk):
    _, plain = signed_in(app, clerk)
    _, remembered = signed_in(app, clerk, remember=True)

    assert not any(c.startswith("remember_token=") for c in plain.headers.getlist("Set-Cookie"))
    cookie = next(
        c for c in remembered.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    assert 29.9 < days <= 30


def test_signing_out_ends_copied_sessions_and_remember_me_cookies(app, clerk):
    client, _ = signed_in(app, clerk, remember=True)
    copied = copy_of(app, client)
    remembered_only = app.test_client()
    remember = next(c for c in client._cookies.values() if c.key == "remember_token")
    remembered_only.set_cookie("remember_token", remember.value, domain=remember.domain)
    assert can_upload(copied) and can_upload(remembered_only)

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})

    assert not can_upload(client)
    assert not can_upload(copied)
    assert not can_upload(remembered_only)


def test_a_new_password_ends_every_session(app, clerk):
    client, _ = signed_in(app, clerk, remember=True)

    result = flask(app, "users", "password", "clerk", input="a new long password\n" * 2)

    assert result.exit_code == 0, result.output
    assert not can_upload(client)
    fresh, _ = signed_in(app, {"username": "clerk", "password": "a new long password"})
    assert can_upload(fresh)


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(app, clerk):
    client, _ = signed_in(app, clerk)

    assert flask(app, "users", "disable", "clerk").exit_code == 0

    assert not can_upload(client)
    again = app.test_client()
    response = again.post(
        "/auth/login", data={**clerk, "csrf_token": csrf_token(again, "/auth/login")}
    )
    assert response.status_code == 403
    assert "disabled" in response.get_data(as_text=True)
    assert flask(app, "users", "enable", "clerk").exit_code == 0
    signed_in(app, clerk)


def test_an_unknown_account_is_named_in_the_error(app):
    result = flask(app, "users", "disable", "nobody")
    assert result.exit_code != 0 and "nobody" in result.output
    with app.app_context():
        assert db.session.query(User).count() == 0
