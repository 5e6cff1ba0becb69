"""Every response carries the security headers; cookies are HttpOnly, SameSite, Secure on HTTPS."""

from __future__ import annotations

import re

import pytest

from hearings import create_app
from hearings.extensions import db
from tests.conftest import ROOT
from tests.web.conftest import sign_in


@pytest.mark.parametrize(
    "path", ["/", "/hearings/", "/search?q=x", "/auth/login", "/nowhere", "/static/app.js"]
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_session_cookies_are_http_only_and_same_site(client, clerk):
    response = sign_in(client, clerk["username"], clerk["password"])

    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session
    assert "Secure" not in session


def test_cookies_are_secure_when_the_site_is_on_https(app_config, clerk):
    # The same database as the clerk's account, served as an HTTPS site would be.
    app = create_app({**app_config, "SECURE_COOKIES": True})
    response = sign_in(app.test_client(), clerk["username"], clerk["password"])
    with app.app_context():
        db.session.remove()
        db.engine.dispose()

    session = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in session


def test_no_template_has_inline_script_or_event_handlers():
    # The policy refuses them in the browser; this finds them before a browser does.
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
            r"\son[a-z]+\s*=\s*[\"']", text
        ):
            offenders.append(template.relative_to(ROOT).as_posix())
    assert offenders == []
