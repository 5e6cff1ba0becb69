"""Sign-in, upload and search are rate-limited with Flask-Limiter; sign-ins are audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hearings.extensions import db, limiter
from hearings.models import AuditEntry
from tests.web.conftest import hearing_form, sign_in, tone_wav


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "SIGN_IN_LIMIT_PER_ACCOUNT": "5 per minute",
        "SIGN_IN_LIMIT_PER_ADDRESS": "8 per minute",
        "SEARCH_LIMIT": "3 per minute",
        "UPLOAD_LIMIT": "1 per hour",
    }


@pytest.fixture(autouse=True)
def fresh_counters(app):
    with app.app_context():
        limiter.reset()


def test_wrong_passwords_lock_the_account_for_a_while_with_a_clear_429(app, client, clerk):
    for _ in range(5):
        assert sign_in(client, clerk["username"], "wrong password").status_code == 401

    response = sign_in(client, clerk["username"], clerk["password"])

    assert response.status_code == 429
    assert "Try again in" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_the_address_limit_holds_across_accounts(app, client, clerk):
    for number in range(8):
        assert sign_in(client, f"guess{number}", "wrong password").status_code == 401

    assert sign_in(client, "someone-else", "wrong password").status_code == 429


def test_correct_passwords_do_not_use_up_the_limit(app, client, clerk):
    for _ in range(7):
        assert sign_in(client, clerk["username"], clerk["password"]).status_code == 302


def test_sign_ins_are_audited_with_the_address(app, client, clerk):
    sign_in(client, clerk["username"], "wrong password")
    sign_in(client, clerk["username"], clerk["password"])

    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.target) for e in entries] == [
            ("auth.sign_in_failed", "account:clerk"),
            ("auth.sign_in", "account:clerk"),
        ]
        assert entries[1].user_id is not None and entries[1].after["address"] == "127.0.0.1"


def test_search_is_limited_per_address(app, client):
    statuses = [client.get("/search?q=council").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_uploads_are_limited_per_address(app, client, clerk, tmp_path):
    assert sign_in(client, clerk["username"], clerk["password"]).status_code == 302
    first = hearing_form(client, tone_wav(tmp_path / "a.wav"))
    second = hearing_form(client, tone_wav(tmp_path / "b.wav", frequency=300.0))

    assert (first.status_code, second.status_code) == (302, 429)
