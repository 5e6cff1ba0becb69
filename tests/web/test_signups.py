"""Sign-up lists: imported whole or refused by row, matched to the voices of public comment,
confirmed by a clerk into card testimony linked to what the signer said."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest

from hearings import models
from hearings.extensions import db
from hearings.models import (
    AgendaItem,
    AuditEntry,
    Hearing,
    Matter,
    Person,
    SignupEntry,
    Speaker,
)
from hearings.signups import position_from, read_list
from hearings.speakers import suggest_names_heard
from hearings.tally import position_tally
from tests.fakes import sample_transcript
from tests.web.conftest import csrf_token
from tests.web.test_speakers import speaker_ids, stored_hearing

PUBLIC_COMMENT = [
    (0.0, "SPEAKER_00", "The public hearing on the facial recognition ordinance is open."),
    (5.0, "SPEAKER_00", "Our first speaker is Tamika Harris."),
    (9.0, "SPEAKER_01", "Good evening. We at the union oppose this ordinance as written."),
    (20.0, "SPEAKER_00", "Thank you. Next speaker please."),
    (24.0, "SPEAKER_02", "I live on the north side and I am against the cameras."),
    (35.0, "SPEAKER_00", "Thank you. Next."),
    (38.0, "SPEAKER_03", "My name is Ron Jansen and I support the department."),
    (50.0, "SPEAKER_00", "That concludes public comment."),
]
FILE = "ERC 26-0148"
LIST = f"""name,organization,position,matter
Tamika Harris,ACLU of Wisconsin,oppose,{FILE}
Alice Moreno,,against,
Ron Jansen,,for,
Pat Doe,,Oppose,
"""


def hearing_with_list(app, client=None, text: str = LIST, lines=PUBLIC_COMMENT) -> tuple[int, int]:
    """Return (hearing id, matter id) of a public-comment hearing with its names heard, and
    the list imported when a signed-in client is given."""
    hearing_id = stored_hearing(app, transcript=sample_transcript(lines))
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        matter = Matter(file_number=FILE, title="Ordinance on facial recognition technology")
        db.session.add(matter)
        db.session.add(AgendaItem(hearing=hearing, matter=matter, sequence=1))
        suggest_names_heard(db.session, hearing)
        db.session.commit()
        matter_id = matter.id
    if client is not None:
        response = import_text(client, hearing_id, text, matter_id)
        assert response.status_code == 302, response.get_data(as_text=True)
    return hearing_id, matter_id


def import_text(client, hearing_id: int, text: str, matter_id: int | None = None, **extra):
    path = f"/hearings/{hearing_id}/sign-ups"
    data = {"csrf_token": csrf_token(client, path), "text": text, **extra}
    if matter_id is not None:
        data["matter_id"] = str(matter_id)
    return client.post(path, data=data, content_type="multipart/form-data")


def entries(app, hearing_id: int) -> dict[str, SignupEntry]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(SignupEntry).where(SignupEntry.hearing_id == hearing_id)
        ).all()
        db.session.expunge_all()
        return {row.name: row for row in rows}


def suggested(app, client, hearing_id: int) -> dict[str, str]:
    """Return the voice label selected for each pending row on the sign-up page."""
    labels = {speaker_id: label for label, speaker_id in speaker_ids(app, hearing_id).items()}
    page = client.get(f"/hearings/{hearing_id}/sign-ups").get_data(as_text=True)
    chosen = {}
    for name, row in entries(app, hearing_id).items():
        cells = page.split(f'id="row-{row.id}"')[1].split("</tr>")[0]
        found = re.search(r'value="(\d+)" selected', cells)
        chosen[name] = labels[int(found.group(1))] if found else None
    return chosen


def decide(client, hearing_id: int, entry_id: int, decision: str, **data):
    path = f"/hearings/{hearing_id}/sign-ups"
    return client.post(
        f"{path}/{entry_id}/{decision}",
        data={"csrf_token": csrf_token(client, path), **data},
    )


# --- Reading lists ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ticked", "position"),
    [
        ("Oppose", "oppose"),
        ("against", "oppose"),
        ("In favor", "support"),
        ("for", "support"),
        ("neutral", "neutral"),
        ("", "not_stated"),
        ("maybe", None),
    ],
)
def test_ticked_positions_are_read_as_clerks_write_them(ticked, position):
    assert position_from(ticked) == position


def test_one_name_per_line_and_headerless_csv(app):
    hearing_id, matter_id = hearing_with_list(app)
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        matter = db.session.get(Matter, matter_id)
        names = read_list(db.session, "Tamika Harris\n\n  Ron   Jansen \n", matter, hearing)
        assert [(r.name, r.position, r.matter.id) for r in names.rows] == [
            ("Tamika Harris", "not_stated", matter_id),
            ("Ron Jansen", "not_stated", matter_id),
        ]
        columns = read_list(db.session, "Tamika Harris,ACLU of Wisconsin,oppose\n", None, hearing)
        assert columns.problems[0].message.startswith("no matter")
        columns = read_list(
            db.session, f"Tamika Harris,ACLU of Wisconsin,oppose,{FILE.lower()}\n", None, hearing
        )
        assert not columns.problems
        row = columns.rows[0]
        assert (row.organization, row.position, row.matter.id) == (
            "ACLU of Wisconsin",
            "oppose",
            matter_id,
        )


def test_every_bad_row_is_reported_and_nothing_is_imported(app, clerk_client):
    hearing_id, matter_id = hearing_with_list(app)
    bad = (
        "name,organization,position,matter\n"
        "Tamika Harris,ACLU of Wisconsin,oppose,\n"
        ",Northside Coalition,oppose,\n"
        "Ron Jansen,,maybe,\n"
        "Pat Doe,,oppose,CCFN 99-9999\n"
        "Lee Smith,,oppose,,surplus\n"
        f"{'x' * 201},,,\n"
    )
    response = import_text(clerk_client, hearing_id, bad, matter_id)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "5 rows of the list could not be read, so nothing was imported" in page
    assert "<td>3</td><td>no name.</td>" in page
    assert "the position “maybe” is not support, oppose or neutral" in page
    assert "no matter in the record is “CCFN 99-9999”" in page
    assert "more columns than name, organization, position and matter" in page
    assert "the name is longer than 200 characters" in page
    # What the clerk sent is still in the box, to fix and send again.
    assert "Northside Coalition,oppose" in page
    assert entries(app, hearing_id) == {}


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "not a text or CSV list"),
        (b"   \n\n", "The list is empty"),
        (b"a" * (300 * 1024), "larger than 256 KB"),
        (("x\n" * 1001).encode(), "1001 rows; 1000 at most"),
    ],
)
def test_unreadable_files_are_refused_clearly(app, clerk_client, upload, message):
    hearing_id, matter_id = hearing_with_list(app)
    response = import_text(
        clerk_client, hearing_id, "", matter_id, upload=(io.BytesIO(upload), "list.csv")
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert entries(app, hearing_id) == {}


def test_a_spreadsheet_saved_in_windows_1252_is_read(app, clerk_client):
    hearing_id, matter_id = hearing_with_list(app)
    upload = "name,position\nZoë Müller,oppose\n".encode("cp1252")
    response = import_text(
        clerk_client, hearing_id, "", matter_id, upload=(io.BytesIO(upload), "cards.csv")
    )
    assert response.status_code == 302
    row = entries(app, hearing_id)["Zoë Müller"]
    assert (row.position, row.source, row.matter_id) == ("oppose", "cards.csv", matter_id)


# --- Matching and deciding ----------------------------------------------------------------


def test_rows_are_matched_by_name_heard_then_in_order(app, clerk_client):
    hearing_id, _ = hearing_with_list(app, clerk_client)
    ids = speaker_ids(app, hearing_id)
    page = clerk_client.get(f"/hearings/{hearing_id}/sign-ups").get_data(as_text=True)
    rows = entries(app, hearing_id)
    assert [r.sequence for r in sorted(rows.values(), key=lambda r: r.sequence)] == [1, 2, 3, 4]

    def chosen(name: str) -> str:
        row = page.split(f'id="row-{rows[name].id}"')[1].split("</tr>")[0]
        return row

    assert f'value="{ids["SPEAKER_01"]}" selected' in chosen("Tamika Harris")
    assert "name heard or given: “Tamika Harris”" in chosen("Tamika Harris")
    assert f'value="{ids["SPEAKER_02"]}" selected' in chosen("Alice Moreno")
    assert "in order: the next unnamed public speaker" in chosen("Alice Moreno")
    assert f'value="{ids["SPEAKER_03"]}" selected' in chosen("Ron Jansen")
    # The chair speaks all through the hearing: never a card's voice.
    assert "selected" not in chosen("Pat Doe")
    assert "no voice left in order" in chosen("Pat Doe")


def test_confirming_records_the_card_and_the_spoken_testimony_linked(app, clerk_client):
    hearing_id, matter_id = hearing_with_list(app, clerk_client)
    ids = speaker_ids(app, hearing_id)
    row = entries(app, hearing_id)["Tamika Harris"]
    response = decide(
        clerk_client, hearing_id, row.id, "confirm", speaker_id=str(ids["SPEAKER_01"])
    )
    assert response.status_code == 302
    with app.app_context():
        speaker = db.session.get(Speaker, ids["SPEAKER_01"])
        assert speaker.person.name == "Tamika Harris"
        assert speaker.person.organization.name == "ACLU of Wisconsin"
        stored = db.session.get(SignupEntry, row.id)
        card = stored.card_testimony
        assert (stored.state, stored.spoke_at_ms, card.kind) == ("confirmed", 9000, "card")
        assert (card.position, card.position_confirmed) == ("oppose", True)
        assert [o.name for o in card.organizations] == ["ACLU of Wisconsin"]
        spoken = card.spoken_testimony
        assert spoken.kind == "oral" and spoken.person_id == speaker.person_id
        assert spoken.quote.startswith("Good evening. We at the union oppose")
        assert spoken.counted_position == "oppose"
        tally = position_tally(db.session, db.session.get(Matter, matter_id))
        # One person and one organization, however many testimonies say so.
        assert tally.people["oppose"] == 1 and tally.organizations["oppose"] == 1
        actions = [e.action for e in db.session.scalars(db.select(AuditEntry))]
        assert "signup.confirm" in actions and "testimony.create" in actions
    matter_page = app.test_client().get(f"/matters/{matter_id}").get_data(as_text=True)
    assert "Signed a card (oppose) and spoke at" in matter_page


def test_a_card_alone_and_a_row_set_aside(app, clerk_client):
    hearing_id, matter_id = hearing_with_list(app, clerk_client)
    rows = entries(app, hearing_id)
    assert decide(clerk_client, hearing_id, rows["Pat Doe"].id, "card-only").status_code == 302
    assert decide(clerk_client, hearing_id, rows["Alice Moreno"].id, "dismiss").status_code == 302
    with app.app_context():
        pat = db.session.get(SignupEntry, rows["Pat Doe"].id)
        assert pat.state == "confirmed" and pat.spoke_at_ms is None
        assert pat.card_testimony.spoken_testimony is None
        assert pat.card_testimony.counted_position == "oppose"
        alice = db.session.get(SignupEntry, rows["Alice Moreno"].id)
        assert alice.state == "dismissed" and alice.card_testimony is None
        assert db.session.scalar(db.select(db.func.count(models.Testimony.id))) == 1
    page = clerk_client.get(f"/hearings/{hearing_id}/sign-ups").get_data(as_text=True)
    assert "did not speak" in page and "set aside" in page
    assert "4 rows, 2 waiting for a decision" in page


def test_deciding_twice_or_wrongly_changes_nothing(app, clerk_client):
    hearing_id, _ = hearing_with_list(app, clerk_client)
    ids = speaker_ids(app, hearing_id)
    rows = entries(app, hearing_id)
    tamika = rows["Tamika Harris"].id
    assert (
        decide(clerk_client, hearing_id, tamika, "confirm", speaker_id=str(ids["SPEAKER_01"]))
    ).status_code == 302
    again = decide(clerk_client, hearing_id, tamika, "confirm", speaker_id=str(ids["SPEAKER_01"]))
    assert again.status_code == 409
    assert "was already confirmed" in again.get_data(as_text=True)
    # A voice already named as someone else.
    named = decide(
        clerk_client,
        hearing_id,
        rows["Ron Jansen"].id,
        "confirm",
        speaker_id=str(ids["SPEAKER_01"]),
    )
    assert named.status_code == 409
    assert "SPEAKER_01 is named Tamika Harris, not Ron Jansen" in named.get_data(as_text=True)
    # A voice of another hearing, no voice, an unknown decision, a row of another hearing.
    other_id = stored_hearing(app, title="Another hearing", when=date(2026, 4, 1))
    other_voice = speaker_ids(app, other_id)["SPEAKER_00"]
    ron = rows["Ron Jansen"].id
    assert (
        decide(clerk_client, hearing_id, ron, "confirm", speaker_id=str(other_voice)).status_code
        == 422
    )
    assert decide(clerk_client, hearing_id, ron, "confirm").status_code == 422
    assert decide(clerk_client, hearing_id, ron, "approve").status_code == 404
    assert decide(clerk_client, other_id, ron, "dismiss").status_code == 404
    assert decide(clerk_client, hearing_id, ron, "confirm", speaker_id="abc").status_code == 400
    with app.app_context():
        assert db.session.get(SignupEntry, ron).state == "pending"
        assert db.session.scalar(db.select(db.func.count(models.Testimony.id))) == 2


def test_only_clerks_see_or_change_the_list(app, clerk_client):
    hearing_id, _ = hearing_with_list(app, clerk_client)
    row = entries(app, hearing_id)["Pat Doe"]
    public = app.test_client()
    assert public.get(f"/hearings/{hearing_id}/sign-ups").status_code in (302, 403)
    assert public.post(f"/hearings/{hearing_id}/sign-ups/{row.id}/dismiss").status_code in (
        302,
        400,
        403,
    )
    assert entries(app, hearing_id)["Pat Doe"].state == "pending"
    page = clerk_client.get(f"/hearings/{hearing_id}").get_data(as_text=True)
    assert "Sign-up list and speaker cards" in page


def test_a_confirmed_name_survives_a_new_list_and_anchors_it(app, clerk_client):
    hearing_id, matter_id = hearing_with_list(app, clerk_client)
    ids = speaker_ids(app, hearing_id)
    rows = entries(app, hearing_id)
    decide(
        clerk_client,
        hearing_id,
        rows["Alice Moreno"].id,
        "confirm",
        speaker_id=str(ids["SPEAKER_02"]),
    )
    # A second batch of cards comes in; they go after the first.
    assert import_text(clerk_client, hearing_id, "Late Card\n", matter_id).status_code == 302
    late = entries(app, hearing_id)["Late Card"]
    assert late.sequence == 5
    with app.app_context():
        assert db.session.get(
            Person, db.session.get(Speaker, ids["SPEAKER_02"]).person_id
        ).name == ("Alice Moreno")


def test_a_hearing_with_undecided_rows_can_still_be_deleted(app, clerk_client):
    from tests.web.test_publishing import post, signed_in

    hearing_id, _ = hearing_with_list(app, clerk_client)
    admin = signed_in(app, "root", "admin")
    assert post(admin, hearing_id, "delete").status_code == 302
    assert entries(app, hearing_id) == {}
    with app.app_context():
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "hearing.delete")
        ).one()
        assert {row["name"] for row in entry.before["signups"]} >= {"Tamika Harris", "Pat Doe"}


def test_presentations_before_public_comment_are_skipped_up_to_a_name_heard(app, clerk_client):
    lines = [
        (0.0, "SPEAKER_00", "The hearing is open. We first hear from the department."),
        (4.0, "SPEAKER_01", "Thank you, chair. The software is a lead generator only."),
        (12.0, "SPEAKER_00", "Thank you. We now turn to public comment."),
        (16.0, "SPEAKER_02", "Good evening. I live in Eastgate and I oppose it."),
        (24.0, "SPEAKER_00", "Thank you. Next speaker."),
        (27.0, "SPEAKER_03", "My name is Ron Jansen and I support the department."),
        (34.0, "SPEAKER_00", "Public comment is closed."),
    ]
    hearing_id, _ = hearing_with_list(app, clerk_client, "Alice Moreno\nRon Jansen\n", lines)
    assert suggested(app, clerk_client, hearing_id) == {
        "Alice Moreno": "SPEAKER_02",
        "Ron Jansen": "SPEAKER_03",
    }


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        # A stray quote spoils only its own row, never the rows after it.
        (
            'name,organization\n"Jane Doe,Org A\nBob,Org B\nCarl,Org C\n',
            [("Jane Doe,Org A", None), ("Bob", "Org B"), ("Carl", "Org C")],
        ),
        # Tab-separated, with a comma inside a cell.
        (
            "name\torganization\nAnn Lee\tFriends of Parks, Inc.\n",
            [("Ann Lee", "Friends of Parks, Inc.")],
        ),
        # One name per line: a comma further down is part of the name.
        (
            "Ann Lee\nBo Chan\nHarris, Ron\n",
            [("Ann Lee", None), ("Bo Chan", None), ("Harris, Ron", None)],
        ),
    ],
)
def test_rows_are_read_line_by_line_with_the_first_lines_separator(app, text, rows):
    hearing_id, matter_id = hearing_with_list(app)
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        read = read_list(db.session, text, db.session.get(Matter, matter_id), hearing)
        assert not read.problems
        assert [(r.name, r.organization) for r in read.rows] == rows


def test_a_surname_heard_alone_anchors_only_a_surname_no_one_else_on_the_list_has(
    app, clerk_client
):
    lines = [
        (0.0, "SPEAKER_00", "Public comment is open. First speaker please."),
        (3.0, "SPEAKER_01", "I am against the cameras."),
        (8.0, "SPEAKER_00", "Next speaker."),
        (10.0, "SPEAKER_02", "I am also against them."),
        (15.0, "SPEAKER_00", "Next."),
        (17.0, "SPEAKER_03", "Same for me, no cameras."),
        (22.0, "SPEAKER_00", "Thank you, Ms. Harris. Next."),
        (25.0, "SPEAKER_04", "I support the department."),
        (30.0, "SPEAKER_00", "Public comment is closed, thank you all."),
    ]
    names = "Ann Lee\nRon Harris\nBo Chan\nTamika Harris\n"
    hearing_id, _ = hearing_with_list(app, clerk_client, names, lines)
    assert suggested(app, clerk_client, hearing_id) == {
        "Ann Lee": "SPEAKER_01",
        "Ron Harris": "SPEAKER_02",
        "Bo Chan": "SPEAKER_03",
        "Tamika Harris": "SPEAKER_04",
    }
