from hearings.extensions import db
from hearings.models import Hearing
from tests.web.conftest import csrf_token, hearing_form, sign_in


def test_anonymous_cannot_open_the_upload_form(client):
    response = client.get("/hearings/new")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_anonymous_cannot_upload(client, app, jfk_wav):
    with open(jfk_wav, "rb") as handle:
        response = client.post(
            "/hearings/new",
            data={"title": "x", "body": "y", "date": "2026-01-01", "recording": (handle, "a.wav")},
        )
    # Refused before anything is stored: CSRF (400) or sign-in redirect (302), never created.
    assert response.status_code in (302, 400)
    with app.app_context():
        assert db.session.scalars(db.select(Hearing)).all() == []


def test_wrong_password_is_refused(client, clerk):
    response = sign_in(client, clerk["username"], "wrong password")
    assert response.status_code == 401
    assert b"Wrong username or password" in response.data


def test_sign_in_and_out(client, clerk):
    assert sign_in(client, clerk["username"], clerk["password"]).status_code == 302
    assert client.get("/hearings/new").status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/hearings/new").status_code == 302


def test_forms_without_csrf_token_are_refused(clerk_client, jfk_wav, app):
    with open(jfk_wav, "rb") as handle:
        response = clerk_client.post(
            "/hearings/new",
            data={"title": "x", "body": "y", "date": "2026-01-01", "recording": (handle, "a.wav")},
        )
    assert response.status_code == 400
    assert b"form expired" in response.data.lower()
    with app.app_context():
        assert db.session.scalars(db.select(Hearing)).all() == []


def test_sign_in_does_not_redirect_off_site(client, clerk):
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={"username": clerk["username"], "password": clerk["password"], "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_clerk_can_upload(clerk_client, jfk_wav):
    assert hearing_form(clerk_client, jfk_wav).status_code == 302


def test_passwords_are_hashed(app, clerk):
    from hearings.models import User

    with app.app_context():
        user = db.session.scalars(db.select(User)).one()
        assert clerk["password"] not in user.password_hash
        assert user.check_password(clerk["password"])


def test_users_create_command(runner, app):
    result = runner.invoke(args=["users", "create", "maria", "--password", "s3cret-enough"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["users", "create", "maria", "--password", "s3cret-enough"])
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(args=["users", "create", "li", "--password", "short"])
    assert short.exit_code != 0 and "at least 8" in short.output
