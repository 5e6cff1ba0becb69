"""E-mail alerts, end to end against a real SMTP server on 127.0.0.1 (aiosmtpd): subscribe,
confirm (double opt-in), one digest of what became public with its context, one-click
unsubscribe, deleting the address; drafts never reach an inbox."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from datetime import date

import pytest

from hearings import testimony as clerk_work
from hearings.extensions import db, limiter
from hearings.jobs import send_due_digests
from hearings.models import Document, Hearing, Matter, Subscription
from hearings.models.base import utcnow
from tests.documents import stored_document
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token
from tests.web.test_speakers import stored_hearing


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 OK"

    def take(self) -> list:
        taken, self.messages = self.messages, []
        return taken


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def inbox(smtp_port):
    from aiosmtpd.controller import Controller

    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def app_config(app_config, smtp_port):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
            "MAIL_USE_TLS": False, "MAIL_FROM": "alerts@hearings.example"}  # fmt: skip


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message, path: str) -> str:
    found = re.search(rf"https?://[^\s/]+(/alerts/{path}/[\w-]+)", body(message))
    assert found, body(message)
    return found[1]


# A page with the alert form (and so a form token), in the heard_matter record.
MATTER_PAGE = "/matters/1"


def subscribe(client, page: str, **form):
    token = csrf_token(client, page) if client.application.config["WTF_CSRF_ENABLED"] else ""
    return client.post("/alerts", data={"csrf_token": token, **form})


def confirm(client, inbox) -> None:
    (message,) = inbox.take()
    url = link_in(message, "confirm")
    assert "Yes, send me alerts" in client.get(url).get_data(as_text=True)
    token = csrf_token(client, url)
    assert "Alerts confirmed" in client.post(url, data={"csrf_token": token}).get_data(as_text=True)


def digests(app) -> int:
    with app.app_context():
        return send_due_digests()


def add_testimony(app, heard_matter, label, position="oppose", person_name=None):
    with app.app_context():
        hearing = db.session.get(Hearing, heard_matter.hearing_id)
        matter = db.session.get(Matter, heard_matter.matter_id)
        clerk_work.create_oral_testimony(
            db.session, None, hearing, matter, [heard_matter.segments[label]],
            position=position, organization_names=["Riverwest Privacy Alliance"],
            person_name=person_name,
        )  # fmt: skip
        db.session.commit()


def test_a_matter_alert_from_subscribing_to_unsubscribing(app, client, inbox, heard_matter):
    page = f"/matters/{heard_matter.matter_id}"
    assert "E-mail alerts on this matter" in client.get(page).get_data(as_text=True)
    response = subscribe(client, page, email="ana@example.org", kind="matter",
                         target=heard_matter.matter_id)  # fmt: skip
    assert "Check your inbox" in response.get_data(as_text=True)
    # Double opt-in: only the confirmation goes out before the link is followed.
    add_testimony(app, heard_matter, "SPEAKER_02")
    assert digests(app) == 0
    confirm(client, inbox)
    assert digests(app) == 0  # what came before confirming is not news
    add_testimony(app, heard_matter, "SPEAKER_01", "support", "Tamika Harris")
    assert digests(app) == 1
    (message,) = inbox.take()
    assert message["To"] == "ana@example.org"
    text = body(message)
    assert "Tamika Harris (Riverwest Privacy Alliance), supports, on ERC 26-0148" in text
    assert "“Facial recognition is a lead generator" in text  # the words said, for context
    assert re.search(r"http://\S+/testimony/\d+", text)
    assert (
        message["List-Unsubscribe"].startswith("<http")
        and "/alerts/forget/" in (message["List-Unsubscribe"])
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digests(app) == 0  # each piece of news once
    # One click in the mail program: a POST with no form token.
    stop = link_in(message, "unsubscribe")
    assert client.post(stop).status_code == 200
    add_testimony(app, heard_matter, "SPEAKER_00", person_name="Chief of Staff")
    assert digests(app) == 0 and inbox.take() == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 0


def test_drafts_never_reach_an_inbox(app, client, inbox, heard_matter):
    with app.app_context():
        person_id = heard_matter.speaker_person_id
    subscribe(client, f"/people/{person_id}", email="ben@example.org", kind="person",
              target=person_id)  # fmt: skip
    confirm(client, inbox)
    draft = stored_hearing(app, title="Second hearing", transcript=sample_transcript(),
                           when=date(2026, 4, 2))  # fmt: skip
    with app.app_context():
        hearing = db.session.get(Hearing, draft)
        hearing.published_at = None
        speaker = next(s for s in hearing.speakers if s.label == "SPEAKER_02")
        speaker.person_id = person_id
        db.session.commit()
    assert digests(app) == 0
    with app.app_context():
        db.session.get(Hearing, draft).published_at = utcnow()
        db.session.commit()
    assert digests(app) == 1
    text = body(inbox.take()[0])
    assert "Maria Lopez at Second hearing (2026-04-02, 0:00:09)" in text
    assert f"/hearings/{draft}/at/" in text


def test_a_saved_search_alert(app, client, inbox, heard_matter):
    response = client.get("/search?q=surveillance")
    form = re.search(r'name="query" value="([^"]+)"', response.get_data(as_text=True))
    assert form and form[1] == "q=surveillance"
    subscribe(client, "/search?q=surveillance", email="cy@example.org", kind="search",
              query="q=surveillance")  # fmt: skip
    confirm(client, inbox)
    stored_hearing(app, title="Surveillance hearing", transcript=sample_transcript(
        [(0.0, "SPEAKER_00", "The surveillance ordinance is before us.")]))  # fmt: skip
    assert digests(app) == 1
    text = body(inbox.take()[0])
    assert "The search “surveillance”" in text
    assert "“The surveillance ordinance is before us.”" in text


def test_an_address_and_all_its_alerts_can_be_deleted(app, client, inbox, heard_matter):
    for kind, target in (("matter", heard_matter.matter_id), ("body", heard_matter.council_id)):
        subscribe(client, MATTER_PAGE, email="dee@example.org", kind=kind, target=target)
        confirm(client, inbox)
    with app.app_context():
        token = db.session.scalars(db.select(Subscription.token)).first()
    page = client.get(f"/alerts/forget/{token}").get_data(as_text=True)
    assert "Delete dee@example.org and every alert it gets?" in page
    assert client.post(f"/alerts/forget/{token}").status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 0
    assert client.post(f"/alerts/forget/{token}").status_code == 404


@pytest.mark.parametrize(
    "form, message",
    [({"email": "not an address", "kind": "matter"}, "Give an e-mail address"),
     ({"email": "a@example.org", "kind": "weather"}, "Choose what to be alerted about"),
     ({"email": "a@example.org", "kind": "person", "target": "999999"}, "not on record"),
     ({"email": "a@example.org", "kind": "search", "query": ""}, "Search for something first")],
)  # fmt: skip
def test_bad_requests_are_refused_and_store_nothing(
    app, client, inbox, heard_matter, form, message
):
    form = {"target": heard_matter.matter_id, **form}
    response = subscribe(client, MATTER_PAGE, **form)
    assert 400 <= response.status_code < 500
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 0
    assert inbox.take() == []


def test_subscribing_twice_keeps_one_subscription(app, client, inbox, heard_matter):
    for _ in range(2):
        subscribe(client, MATTER_PAGE, email="eve@example.org", kind="matter",
                  target=heard_matter.matter_id)  # fmt: skip
    assert len(inbox.take()) == 2  # the confirmation is sent again
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 1


class TestServerDown:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(),
                "MAIL_USE_TLS": False}  # fmt: skip

    def test_the_page_says_so_and_the_subscription_waits(self, app, client, heard_matter):
        response = subscribe(client, MATTER_PAGE, email="fay@example.org", kind="matter",
                             target=heard_matter.matter_id)  # fmt: skip
        assert response.status_code == 503
        assert "could not be sent" in response.get_data(as_text=True)


class TestWithoutMail:
    @pytest.fixture
    def app_config(self, app_config):
        # No form to take a token from: the check is left out to reach the view.
        return {**app_config, "MAIL_SERVER": None, "WTF_CSRF_ENABLED": False}

    def test_no_form_is_offered_and_none_is_taken(self, app, client, heard_matter):
        page = client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
        assert "E-mail alerts" not in page
        response = subscribe(client, f"/matters/{heard_matter.matter_id}", email="g@example.org",
                             kind="matter", target=heard_matter.matter_id)  # fmt: skip
        assert response.status_code == 404


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENABLED": True, "ALERT_LIMIT": "2 per hour"}

    def test_many_subscriptions_from_one_address_are_slowed(self, app, client, inbox, heard_matter):
        with app.app_context():
            limiter.reset()
        statuses = [
            subscribe(client, MATTER_PAGE, email=f"h{n}@example.org", kind="matter",
                      target=heard_matter.matter_id).status_code
            for n in range(3)
        ]  # fmt: skip
        assert statuses[:2] == [200, 200] and statuses[2] == 429


def test_a_saved_search_keeps_a_speaker_typed_by_name(app, client, inbox, heard_matter):
    # The search page's own reading of its arguments: a name typed as heard narrows the alert.
    subscribe(client, MATTER_PAGE, email="ivy@example.org", kind="search",
              query="q=surveillance&person_name=maria+lopes")  # fmt: skip
    confirm(client, inbox)
    second = stored_hearing(app, title="Surveillance hearing", transcript=sample_transcript(
        [(0.0, "SPEAKER_00", "The surveillance ordinance is before us."),
         (4.0, "SPEAKER_02", "Surveillance of residents must end.")]))  # fmt: skip
    with app.app_context():
        hearing = db.session.get(Hearing, second)
        speaker = next(s for s in hearing.speakers if s.label == "SPEAKER_02")
        speaker.person_id = heard_matter.speaker_person_id
        db.session.commit()
    assert digests(app) == 1
    text = body(inbox.take()[0])
    assert "Maria Lopez at Surveillance hearing" in text
    assert "before us" not in text


def test_documents_reach_the_matters_and_the_searchs_followers_once_public(
    app, client, inbox, heard_matter
):
    page = f"/matters/{heard_matter.matter_id}"
    subscribe(client, page, email="dee@example.org", kind="matter", target=heard_matter.matter_id)
    confirm(client, inbox)
    subscribe(client, "/search?q=vendor+contract", email="eve@example.org", kind="search",
              query="q=vendor+contract")  # fmt: skip
    confirm(client, inbox)
    with app.app_context():
        draft = stored_document(
            db.session,
            ["Cover.", "Appendix: the vendor contract for facial recognition."],
            matter_id=heard_matter.matter_id,
            title="Staff report",
            published=False,
        )
    assert digests(app) == 0  # a draft document is nobody's news
    with app.app_context():
        db.session.get(Document, draft).published_at = utcnow()
        db.session.commit()
    assert digests(app) == 2
    sent = {message["To"]: body(message) for message in inbox.take()}
    assert "Agenda packet: Staff report, 2 pages" in sent["dee@example.org"]
    assert f"/documents/{draft}" in sent["dee@example.org"]
    search_text = sent["eve@example.org"]
    assert "Staff report, page 2: “Appendix: the vendor contract" in search_text
    assert f"/documents/{draft}/pages/2" in search_text
    assert digests(app) == 0  # news once
