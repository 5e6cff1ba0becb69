"""Importing real Seattle Legistar responses from files and from a local copy of the API."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import func, select

from hearings.extensions import db
from hearings.legistar import import_directory, sync
from hearings.models import (
    AgendaItem,
    Body,
    Hearing,
    Matter,
    MatterAction,
    Person,
    PersonVote,
    VoteEvent,
)
from hearings.votes import outcome, result_disagrees
from tests.conftest import shared

EVENTS = "request_0_events.json"
BRIEFING_ITEMS = "request_1_event_0_items.json"
COUNCIL_ITEMS = "request_12_event_1_items.json"
VOTES = "request_23_event_1_item_10_votes.json"
PERSON = "request_24_event_1_item_10_vote_0_person.json"


@pytest.fixture
def legistar_dir() -> Path:
    return shared("cdp-council-text", "cdptools_v2", "legistar")


@pytest.fixture
def dump(legistar_dir, tmp_path) -> Path:
    """Return a copy of the Seattle responses that a test may change."""
    return Path(shutil.copytree(legistar_dir, tmp_path / "legistar"))


def _load(directory: Path, name: str):
    return json.loads((directory / name).read_text(encoding="utf-8"))


def _save(directory: Path, name: str, payload) -> None:
    (directory / name).write_text(json.dumps(payload), encoding="utf-8")


def _expected(directory: Path) -> dict:
    """Return the record counts the files hold, read independently of the importer."""
    events = _load(directory, EVENTS)
    items = _load(directory, BRIEFING_ITEMS) + _load(directory, COUNCIL_ITEMS)
    votes = _load(directory, VOTES)
    matters = {item["EventItemMatterId"] for item in items if item["EventItemMatterId"]}
    voters = {vote["VotePersonId"] for vote in votes} | {_load(directory, PERSON)["PersonId"]}
    return {
        "hearings": len(events),
        "bodies": len({event["EventBodyId"] for event in events}),
        "agenda_items": len(items),
        "matters": len(matters),
        "vote_events": len({vote["VoteEventItemId"] for vote in votes}),
        "person_votes": len(votes),
        "people": len(voters),
    }


def _counts() -> dict:
    def count(model):
        return db.session.scalar(select(func.count()).select_from(model))

    return {
        "hearings": count(Hearing),
        "bodies": count(Body),
        "agenda_items": count(AgendaItem),
        "matters": count(Matter),
        "vote_events": count(VoteEvent),
        "person_votes": count(PersonVote),
        "people": count(Person),
    }


def _by_legistar(model, legistar_id):
    return db.session.scalars(select(model).where(model.legistar_id == legistar_id)).one()


def test_import_matches_the_files(app, legistar_dir):
    expected = _expected(legistar_dir)
    assert expected["agenda_items"] == 28 and expected["person_votes"] == 8
    with app.app_context():
        report = import_directory(db.session, legistar_dir)
        assert report.problems == []
        assert _counts() == expected
        assert report.created["hearing"] == expected["hearings"]
        assert report.created["agenda_item"] == expected["agenda_items"]
        assert report.created["person_vote"] == expected["person_votes"]

        council = _by_legistar(Hearing, 4049)
        assert (council.body.name, council.date, council.recording) == (
            "City Council",
            date(2019, 7, 29),
            None,
        )
        bill = _by_legistar(Matter, 8862)
        assert (bill.file_number, bill.matter_type) == ("CB 119583", "Council Bill (CB)")
        assert bill.title.startswith("AN ORDINANCE related to appropriations")
        assert _by_legistar(AgendaItem, 65911).matter is bill
        action = _by_legistar(MatterAction, 65911)
        assert (action.action, action.result, action.date) == ("passed", "Pass", council.date)

        roll_call = _by_legistar(VoteEvent, 65911)
        assert (roll_call.matter, roll_call.hearing, roll_call.recorded_result) == (
            bill,
            council,
            "pass",
        )
        assert roll_call.motion.startswith("The Council Bill (CB) was passed")
        assert outcome(roll_call).explanation == "8 yes, 0 no of 8 present; 5 needed: passes"
        assert not result_disagrees(roll_call)
        assert _by_legistar(Person, 183).name == "Sally Bagshaw"
        # Names taken from votes are trimmed ("M. Lorena González " in the file).
        assert _by_legistar(Person, 516).name == "M. Lorena González"


def test_importing_twice_updates_and_never_duplicates(app, legistar_dir):
    with app.app_context():
        import_directory(db.session, legistar_dir)
        first = _counts()
        again = import_directory(db.session, legistar_dir)
        assert _counts() == first
        assert sum(again.created.values()) == 0
        assert sum(again.updated.values()) == 0
        assert again.unchanged["hearing"] == first["hearings"]
        assert again.unchanged["agenda_item"] == first["agenda_items"]
        assert again.unchanged["person_vote"] == first["person_votes"]


def test_a_changed_record_is_updated_in_place(app, dump):
    with app.app_context():
        import_directory(db.session, dump)
        votes = _load(dump, VOTES)
        votes[0]["VoteValueName"] = "Opposed"
        _save(dump, VOTES, votes)
        report = import_directory(db.session, dump)
        assert report.updated["person_vote"] == 1
        assert report.unchanged["person_vote"] == len(votes) - 1
        changed = _by_legistar(PersonVote, votes[0]["VoteId"])
        assert changed.value == "no"
        assert db.session.scalar(select(func.count()).select_from(PersonVote)) == len(votes)


def test_malformed_records_are_reported_one_by_one_and_the_rest_imported(app, dump):
    events = _load(dump, EVENTS)
    events[0]["EventDate"] = "last Monday"  # the briefing, event 4048
    _save(dump, EVENTS, events)
    votes = _load(dump, VOTES)
    del votes[1]["VoteId"]
    votes[2]["VoteValueName"] = "Maybe"
    votes[3]["VotePersonId"] = [187]
    _save(dump, VOTES, votes)
    (dump / "request_99_not_json.json").write_text("<html>Service Unavailable</html>")
    (dump / "request_98_truncated.json").write_text(json.dumps(events)[:200])
    (dump / "request_97_number.json").write_text("42")

    with app.app_context():
        report = import_directory(db.session, dump)
        problems = {str(problem) for problem in report.problems}
        assert any(p.startswith("request_0_events.json[0] (event): EventDate") for p in problems)
        assert f"{VOTES}[1] (vote): VoteId is missing" in problems
        assert f"{VOTES}[2] (vote): unknown vote value 'Maybe'" in problems
        assert f"{VOTES}[3] (vote): VotePersonId is [187], not a whole number" in problems
        assert any(p.startswith("request_99_not_json.json (file): not readable") for p in problems)
        assert any(p.startswith("request_98_truncated.json (file)") for p in problems)
        assert any(p.startswith("request_97_number.json (file)") for p in problems)
        # The briefing's ten agenda items cannot be placed without their meeting.
        briefing_items = [p for p in problems if "its event 4048 is not imported" in p]
        assert len(briefing_items) == len(_load(dump, BRIEFING_ITEMS))
        assert len(report.problems) == 7 + len(briefing_items)

        assert report.skipped["hearing"] == 1 and report.skipped["person_vote"] == 3
        assert db.session.scalar(select(func.count()).select_from(Hearing)) == len(events) - 1
        assert db.session.scalar(select(func.count()).select_from(PersonVote)) == len(votes) - 3
        assert db.session.scalar(select(func.count()).select_from(AgendaItem)) == len(
            _load(dump, COUNCIL_ITEMS)
        )


def test_bad_records_leave_what_was_imported_before_intact(app, legistar_dir, dump):
    with app.app_context():
        import_directory(db.session, legistar_dir)
        before = _counts()
        events = _load(dump, EVENTS)
        events[1]["EventDate"] = 20190729
        events[1]["EventBodyName"] = "Renamed in the broken record"
        _save(dump, EVENTS, events)
        votes = _load(dump, VOTES)
        votes[0]["VoteValueName"] = "Maybe"
        _save(dump, VOTES, votes)

        report = import_directory(db.session, dump)
        assert len(report.problems) == 2
        db.session.expire_all()
        assert _counts() == before
        council = _by_legistar(Hearing, 4049)
        assert (council.date, council.body.name) == (date(2019, 7, 29), "City Council")
        assert _by_legistar(PersonVote, votes[0]["VoteId"]).value == "yes"


def test_votes_without_an_event_item_id_are_placed_by_file_name(app, dump):
    votes = _load(dump, VOTES)
    for vote in votes:
        del vote["VoteEventItemId"]
    _save(dump, VOTES, votes)
    with app.app_context():
        report = import_directory(db.session, dump)
        assert report.problems == []
        # event_1_item_10: the eleventh item of the second event's items file.
        item_id = _load(dump, COUNCIL_ITEMS)[10]["EventItemId"]
        assert len(_by_legistar(VoteEvent, item_id).votes) == len(votes)


def test_a_vote_that_cannot_be_placed_is_reported(app, dump):
    votes = _load(dump, VOTES)
    del votes[0]["VoteEventItemId"]
    (dump / VOTES).unlink()
    _save(dump, "loose_votes.json", votes[:1])
    with app.app_context():
        report = import_directory(db.session, dump)
        assert [str(p) for p in report.problems] == [
            "loose_votes.json[0] (vote): VoteEventItemId is missing and the file name does "
            "not say which event item"
        ]


def test_a_matter_record_is_authoritative_and_event_items_only_fill_gaps(app, dump):
    # Written for this test in the shape of the API's /matters/{id} answer.
    _save(
        dump,
        "matter_8862.json",
        {
            "MatterId": 8862,
            "MatterFile": "CB 119583",
            "MatterName": "CB 119583",
            "MatterTitle": "AN ORDINANCE related to appropriations for the Office of Arts",
            "MatterTypeName": "Council Bill (CB)",
            "MatterStatusName": "Signed by Mayor",
            "MatterIntroDate": "2019-07-15T00:00:00",
            "MatterBodyId": 138,
            "MatterBodyName": "City Council",
        },
    )
    with app.app_context():
        for _ in range(2):
            report = import_directory(db.session, dump)
            assert report.problems == []
        bill = _by_legistar(Matter, 8862)
        assert (bill.status, bill.intro_date) == ("Signed by Mayor", date(2019, 7, 15))
        assert bill.title == "AN ORDINANCE related to appropriations for the Office of Arts"
        assert bill.body is _by_legistar(Body, 138)


def test_a_hearing_a_clerk_created_is_adopted_not_duplicated(app, legistar_dir):
    with app.app_context():
        council = Body(name="City Council", size=9)
        uploaded = Hearing(title="Full Council, July 29", body=council, date=date(2019, 7, 29))
        db.session.add(uploaded)
        db.session.commit()
        report = import_directory(db.session, legistar_dir)
        assert report.problems == []
        assert report.updated["hearing"] == 1 and report.updated["body"] == 1
        assert uploaded.legistar_id == 4049 and council.legistar_id == 138
        assert uploaded.title == "Full Council, July 29"
        assert db.session.scalar(select(func.count()).select_from(Hearing)) == 3


def test_a_body_a_clerk_typed_in_another_case_is_adopted(app, legistar_dir):
    # Uploads find bodies by name in any case; the import must use the same rule, or the
    # clerk's "city council" and Legistar's "City Council" become two bodies.
    with app.app_context():
        typed = Body(name="city council")
        db.session.add(Hearing(title="Full Council, July 29", body=typed, date=date(2019, 7, 29)))
        db.session.commit()
        report = import_directory(db.session, legistar_dir)
        assert report.problems == []
        assert typed.legistar_id == 138 and typed.name == "City Council"
        names = db.session.scalars(select(Body.name).where(func.lower(Body.name).like("%city%")))
        assert list(names) == ["City Council"]


def test_a_person_a_clerk_typed_in_another_case_is_adopted(app, legistar_dir):
    # Testimony and seats find people by name in any case; the import uses the same rule.
    with app.app_context():
        typed = Person(name="sally bagshaw")
        db.session.add(typed)
        db.session.commit()
        report = import_directory(db.session, legistar_dir)
        assert report.problems == []
        assert typed.legistar_id == 183
        named = db.session.scalars(
            select(Person).where(func.lower(Person.name) == "sally bagshaw")
        ).all()
        assert named == [typed]


def test_import_command_prints_the_report(app, runner, legistar_dir, dump):
    result = runner.invoke(args=["legistar", "import", str(legistar_dir)])
    assert result.exit_code == 0, result.output
    assert "hearing: 3 created, 0 updated, 0 unchanged, 0 skipped" in result.output
    assert "person_vote: 8 created" in result.output

    (dump / "broken.json").write_text("[{")
    result = runner.invoke(args=["legistar", "import", str(dump)])
    # What was valid is imported, and the exit status says that something was not.
    assert result.exit_code == 1, result.output
    assert "hearing: 0 created, 0 updated, 3 unchanged, 0 skipped" in result.output
    assert "1 problem:" in result.output and "broken.json (file): not readable" in result.output


def test_import_command_refuses_a_missing_directory(runner, tmp_path):
    result = runner.invoke(args=["legistar", "import", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


# The API, served from the files -----------------------------------------------------------------


class SeattleFromFiles:
    """A local stand-in for the Legistar Web API that answers with the saved responses only."""

    def __init__(self, directory: Path):
        self.paths: list[str] = []
        self.routes: dict[str, object] = {"/v1/seattle/events": _load(directory, EVENTS)}
        for name in (BRIEFING_ITEMS, COUNCIL_ITEMS):
            items = _load(directory, name)
            self.routes[f"/v1/seattle/events/{items[0]['EventItemEventId']}/eventitems"] = items
        votes = _load(directory, VOTES)
        self.routes[f"/v1/seattle/eventitems/{votes[0]['VoteEventItemId']}/votes"] = votes
        person = _load(directory, PERSON)
        self.routes[f"/v1/seattle/persons/{person['PersonId']}"] = person

    def __enter__(self) -> str:
        routes, paths = self.routes, self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                paths.append(unquote(self.path))
                payload = routes.get(urlsplit(self.path).path)
                body = json.dumps(payload if payload is not None else {"Message": "Not found"})
                self.send_response(200 if payload is not None else 404)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def _missing_from_dump(directory: Path) -> set[str]:
    """Return the paths the sync asks for that the saved responses do not include."""
    events = _load(directory, EVENTS)
    items = _load(directory, BRIEFING_ITEMS) + _load(directory, COUNCIL_ITEMS)
    votes = _load(directory, VOTES)
    with_items = {item["EventItemEventId"] for item in items}
    voted_on = {vote["VoteEventItemId"] for vote in votes}
    missing = {
        f"events/{e['EventId']}/eventitems" for e in events if e["EventId"] not in with_items
    }
    missing |= {
        f"eventitems/{i['EventItemId']}/votes"
        for i in items
        if i["EventItemPassedFlag"] is not None and i["EventItemId"] not in voted_on
    }
    missing |= {
        f"persons/{v['VotePersonId']}"
        for v in votes
        if v["VotePersonId"] != _load(directory, PERSON)["PersonId"]
    }
    missing |= {f"matters/{i['EventItemMatterId']}" for i in items if i["EventItemMatterId"]}
    return missing


def test_sync_imports_what_the_api_serves(app, legistar_dir):
    expected = _expected(legistar_dir)
    with app.app_context(), SeattleFromFiles(legistar_dir) as base_url:
        report = sync(db.session, "seattle", base_url, timeout=5)
        assert _counts() == expected
        assert _by_legistar(Person, 183).name == "Sally Bagshaw"
        assert len(_by_legistar(VoteEvent, 65911).votes) == expected["person_votes"]
        # Each request the saved responses cannot answer is one problem; nothing else failed.
        failed = {re.sub(r"^.*/v1/seattle/|\?.*$", "", p.source) for p in report.problems}
        assert failed == _missing_from_dump(legistar_dir)
        assert all("answered HTTP 404" in p.message for p in report.problems)
        assert len(report.problems) == len(failed)

        again = sync(db.session, "seattle", base_url, timeout=5)
        assert _counts() == expected
        assert sum(again.created.values()) == 0


def test_sync_command_filters_by_date_and_prints_the_report(app, runner, legistar_dir):
    server = SeattleFromFiles(legistar_dir)
    with server as base_url:
        result = runner.invoke(
            args=[
                "legistar",
                "sync",
                "--client",
                "seattle",
                "--base-url",
                base_url,
                "--since",
                "2019-07-29",
            ]
        )
    # The local server has no copy of some responses: those are reported, the rest imported,
    # and the exit status says something was missing.
    assert result.exit_code == 1, result.output
    assert "hearing: 3 created" in result.output
    assert "person_vote: 8 created" in result.output
    assert "answered HTTP 404" in result.output
    events_request = server.paths[0]
    assert events_request.startswith("/v1/seattle/events?$filter=EventDate ge datetime'2019-07-29'")
    assert any(
        p == "/v1/seattle/events/4049/eventitems?AgendaNote=1&MinutesNote=1&Attachments=0"
        for p in server.paths
    )
    assert "/v1/seattle/eventitems/65911/votes" in server.paths
    assert "/v1/seattle/persons/183" in server.paths


def test_sync_command_reports_an_unreachable_server_without_a_traceback(app, runner):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = runner.invoke(
        args=[
            "legistar",
            "sync",
            "--client",
            "seattle",
            "--base-url",
            f"http://127.0.0.1:{port}",
            "--timeout",
            "2",
        ]
    )
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Hearing)) == 0


def test_sync_command_refuses_a_bad_client_name(runner):
    result = runner.invoke(args=["legistar", "sync", "--client", "seattle/../x"])
    assert result.exit_code == 1
    assert "is not a Legistar client name" in result.output


def test_sync_reports_an_events_list_that_is_not_json(app, runner, legistar_dir):
    server = SeattleFromFiles(legistar_dir)
    server.routes["/v1/seattle/events"] = "<html>maintenance</html>"
    with server as base_url:
        result = runner.invoke(
            args=["legistar", "sync", "--client", "seattle", "--base-url", base_url]
        )
    assert result.exit_code == 1
    assert "did not answer with a list of events" in result.output


def test_hostile_files_are_reported_and_the_valid_ones_imported(app, runner, dump):
    (dump / "huge_number.json").write_text('[{"EventId": ' + "9" * 5000 + "}]")
    (dump / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (dump / "not_utf8.json").write_bytes(b"\xff\xfe[\x00")

    result = runner.invoke(args=["legistar", "import", str(dump)])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for name in ("huge_number.json", "deep.json", "not_utf8.json"):
        assert f"{name} (file)" in result.output
    assert "hearing: 3 created" in result.output
