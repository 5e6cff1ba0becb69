"""CSV of testimony and of votes, and the matter's Atom feed: they parse and say what happened."""

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from hearings import agenda, models, spreadsheets
from hearings import testimony as clerk
from hearings.extensions import db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def on_record(app, heard_matter):
    """One oral testimony (confirmed oppose), one written comment, and a 10-5 roll call."""
    with app.app_context():
        hearing = db.session.get(models.Hearing, heard_matter.hearing_id)
        matter = db.session.get(models.Matter, heard_matter.matter_id)
        clerk.create_oral_testimony(
            db.session,
            None,
            hearing,
            matter,
            [heard_matter.segments["SPEAKER_02"]],
            organization_names=["ACLU of Wisconsin", "Voces de la Frontera"],
            position="oppose",
            concern_ids=[heard_matter.concern_ids["racial bias"]],
        )
        db.session.commit()
        clerk.create_written_testimony(
            db.session,
            None,
            matter,
            upload_folder=app.config["UPLOAD_FOLDER"],
            person_name='=HYPERLINK("http://x")',
            text="Please vote yes, it protects us.",
        )
        db.session.commit()
        agenda.link_agenda_item(db.session, None, hearing, matter, 3000, 14000)
        db.session.commit()
        event = models.VoteEvent(
            body_id=heard_matter.council_id,
            matter=matter,
            date=date(2026, 4, 7),
            motion="Adopt",
            threshold_rule="majority_body",
            body_size=15,
            recorded_result="pass",
        )
        event.votes = [
            models.PersonVote(person_id=pid, value="yes" if i < 10 else "no")
            for i, pid in enumerate(heard_matter.member_ids)
        ]
        db.session.add(event)
        db.session.commit()
    return heard_matter


def test_testimony_csv(client, on_record):
    response = client.get(f"/matters/{on_record.matter_id}/testimonies.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2
    oral = next(r for r in rows if r["kind"] == "oral")
    assert oral["person"] == "Maria Lopez"
    assert oral["organizations"] == "ACLU of Wisconsin; Voces de la Frontera"
    assert (oral["position"], oral["position_confirmed"]) == ("oppose", "yes")
    assert oral["concerns"] == "racial bias"
    assert oral["start"] == "0:00:09" and oral["hearing_date"] == "2026-03-12"
    assert oral["quote"].startswith("We oppose this proposal")
    assert oral["url"].startswith("http://hearings.test/hearings/")
    written = next(r for r in rows if r["kind"] == "written")
    assert (written["position"], written["position_confirmed"]) == ("not_stated", "no")
    assert written["suggested_position"] == "support"
    # A cell that a spreadsheet would run as a formula is kept as text.
    assert written["person"].startswith("'=HYPERLINK")


def test_votes_csv(client, on_record):
    response = client.get(f"/matters/{on_record.matter_id}/votes.csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 15
    assert {r["vote"] for r in rows} == {"yes", "no"}
    first = rows[0]
    assert (first["yes"], first["no"], first["needed"]) == ("10", "5", "8")
    assert (first["computed_result"], first["recorded_result"], first["disagrees"]) == (
        "pass",
        "pass",
        "no",
    )
    assert first["seat"].startswith("District ")


def test_atom_feed(client, on_record):
    response = client.get(f"/matters/{on_record.matter_id}/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title").startswith("ERC 26-0148")
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert len(entries) == 4
    assert "Heard at Facial recognition hearing (2026-03-12)" in titles
    assert "Maria Lopez (ACLU of Wisconsin, Voces de la Frontera): opposes" in titles
    assert "Common Council vote: Adopt (passes)" in titles
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 4
    vote = next(e for e in entries if "vote" in e.findtext(f"{ATOM}title"))
    assert vote.findtext(f"{ATOM}content") == "10 yes of 15 members; 8 needed: passes"
    for entry in entries:
        assert entry.find(f"{ATOM}link").get("href").startswith("http://hearings.test/")


def test_exports_of_an_empty_matter_still_parse(client, heard_matter):
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/matters/{heard_matter.matter_id}/votes.csv").get_data(as_text=True)
            )
        )
    )
    assert rows[0][0] == "vote_id" and len(rows) == 1
    feed = ET.fromstring(client.get(f"/matters/{heard_matter.matter_id}/feed.atom").data)
    assert feed.findall(f"{ATOM}entry") == []
    assert client.get("/matters/999/feed.atom").status_code == 404


def test_testimony_csv_function_needs_no_request(app, on_record):
    with app.app_context():
        matter = db.session.get(models.Matter, on_record.matter_id)
        text = spreadsheets.testimonies_csv(
            matter, lambda endpoint, **values: f"{endpoint}:{values}"
        )
    assert "testimony.detail:" in text and "hearings.quote:" in text
