"""Processing a hearing again never loses or misattributes what clerks did.

Testimony is anchored to times in the recording, names pass to the new voice that speaks at
the same times, and a clerk's reassignment of a line is kept; what cannot be carried over is
listed for review with the words it had. Runs on SQLite and (in the PostgreSQL pass) on
PostgreSQL, both with foreign keys enforced.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from hearings import models
from hearings.extensions import db
from hearings.models import Body, Hearing, Person, Recording, ReviewItem, Segment, Speaker
from hearings.models.base import utcnow
from hearings.speakers import reassign_segment
from hearings.transcripts import store_transcript
from tests.fakes import LINES, sample_transcript
from tests.web.conftest import token

OPPOSE = "We oppose this proposal because of misidentification and racial bias."
LEAD = "Facial recognition is a lead generator, not an arrest tool."


def record_testimony(clerk_client, heard_matter) -> int:
    response = clerk_client.post(
        f"/hearings/{heard_matter.hearing_id}/testimony",
        data={
            "csrf_token": token(clerk_client, f"/hearings/{heard_matter.hearing_id}"),
            "matter_id": heard_matter.matter_id,
            "segment_ids": [heard_matter.segments["SPEAKER_02"]],
            "position": "oppose",
        },
    )
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    return db.session.scalars(select(models.Testimony.id)).one()


def process_again(app, heard_matter, lines) -> None:
    with app.app_context():
        hearing = db.session.get(Hearing, heard_matter.hearing_id)
        store_transcript(db.session, hearing, sample_transcript(lines))
        # A new machine transcript waits for review; these tests read it as the public.
        hearing.published_at = utcnow()
        db.session.commit()


def state_of(app, testimony_id):
    with app.app_context():
        testimony = db.session.get(models.Testimony, testimony_id)
        return {
            "lines": [s.text for s in testimony.segments],
            "speakers": [s.speaker.display for s in testimony.segments],
            "person": testimony.person.name,
            "quote": testimony.quote,
            "quote_text": testimony.quote_text,
        }


def reviews(app, heard_matter) -> list[tuple[str, str]]:
    with app.app_context():
        items = db.session.scalars(
            select(ReviewItem).where(ReviewItem.hearing_id == heard_matter.hearing_id)
        )
        return [(i.kind, i.message) for i in items]


def test_new_labels_do_not_move_testimony_or_names_to_another_person(
    app, clerk_client, heard_matter
):
    # Three speakers again, but the diarizer numbered them differently: Maria's voice is now
    # SPEAKER_00 and SPEAKER_02 is the chair.
    with app.app_context():
        testimony_id = record_testimony(clerk_client, heard_matter)
    relabelled = [
        (0.0, "SPEAKER_02", LINES[0][2]),
        (3.2, "SPEAKER_01", LEAD),
        (9.5, "SPEAKER_00", OPPOSE),
    ]

    process_again(app, heard_matter, relabelled)

    state = state_of(app, testimony_id)
    assert state["lines"] == [OPPOSE]
    assert state["speakers"] == ["Maria Lopez"]
    with app.app_context():
        named = db.session.scalars(
            select(Speaker).where(
                Speaker.hearing_id == heard_matter.hearing_id, Speaker.person_id.is_not(None)
            )
        ).all()
        assert [(s.label, s.person.name) for s in named] == [("SPEAKER_00", "Maria Lopez")]
    assert reviews(app, heard_matter) == []


def test_fewer_speakers_keep_testimony_on_its_own_words(app, clerk_client, heard_matter):
    # Processed again with a speaker count of two: the chair and Maria are now one voice.
    with app.app_context():
        testimony_id = record_testimony(clerk_client, heard_matter)
    merged = [(0.0, "SPEAKER_00", LINES[0][2]), (3.2, "SPEAKER_01", LEAD)]
    merged.append((9.5, "SPEAKER_00", OPPOSE))

    process_again(app, heard_matter, merged)

    state = state_of(app, testimony_id)
    assert state["lines"] == [OPPOSE]
    assert state["person"] == "Maria Lopez"


def test_reprocessing_after_another_hearing_keeps_the_quote(app, clerk_client, heard_matter):
    with app.app_context():
        testimony_id = record_testimony(clerk_client, heard_matter)
        # Another hearing is transcribed in between: the row ids the testimony had are reused
        # by nothing, and the new rows of this hearing get other ids.
        other = Hearing(title="Budget", body=Body(name="Finance"), date=date(2026, 3, 13))
        db.session.add(other)
        db.session.commit()
        store_transcript(db.session, other, sample_transcript())
        # A new machine transcript waits for review; these tests read it as the public.
        other.published_at = utcnow()
        db.session.commit()
        old_ids = set(heard_matter.segments.values())

    process_again(app, heard_matter, LINES)

    state = state_of(app, testimony_id)
    assert state["lines"] == [OPPOSE]
    with app.app_context():
        testimony = db.session.get(models.Testimony, testimony_id)
        assert not {s.id for s in testimony.segments} & old_ids
    page = clerk_client.get(f"/matters/{heard_matter.matter_id}").get_data(as_text=True)
    assert "We oppose this proposal" in page
    csv = clerk_client.get(f"/matters/{heard_matter.matter_id}/testimonies.csv").get_data(
        as_text=True
    )
    assert OPPOSE in csv


def test_testimony_whose_words_changed_is_listed_for_review_with_its_words(
    app, clerk_client, heard_matter
):
    with app.app_context():
        testimony_id = record_testimony(clerk_client, heard_matter)
    changed = [*LINES[:2], (9.5, "SPEAKER_02", "Thank you all, the next item is the budget.")]

    process_again(app, heard_matter, changed)

    state = state_of(app, testimony_id)
    assert state["lines"] == []
    assert state["quote"] == OPPOSE
    [(kind, message)] = reviews(app, heard_matter)
    assert kind == "testimony"
    assert "Maria Lopez" in message and "read differently" in message and OPPOSE in message
    page = clerk_client.get(f"/hearings/{heard_matter.hearing_id}").get_data(as_text=True)
    assert "For a clerk to check (1)" in page
    csv = clerk_client.get(f"/matters/{heard_matter.matter_id}/testimonies.csv").get_data(
        as_text=True
    )
    assert OPPOSE in csv


def test_testimony_is_never_attached_to_lines_now_credited_to_someone_else(
    app, clerk_client, heard_matter
):
    with app.app_context():
        testimony_id = record_testimony(clerk_client, heard_matter)
        # A clerk named the chair; in the new run the chair's voice also covers Maria's line.
        chair = db.session.scalars(
            select(Speaker).where(
                Speaker.hearing_id == heard_matter.hearing_id, Speaker.label == "SPEAKER_00"
            )
        ).one()
        chair.person = Person(name="Chair Ortiz")
        db.session.commit()
    one_voice = [(0.0, "SPEAKER_00", LINES[0][2]), (3.2, "SPEAKER_01", LEAD)]
    one_voice.append((9.5, "SPEAKER_00", "We oppose this proposal because of misidentification."))
    long_chair = [(s - 0.0, label, text) for s, label, text in one_voice]
    # The chair's opening is made long enough that the merged voice is mostly the chair's.
    long_chair[0] = (0.0, "SPEAKER_00", LINES[0][2] + " " + "Please sign in at the door. " * 3)

    process_again(app, heard_matter, long_chair)

    state = state_of(app, testimony_id)
    assert state["lines"] == []
    assert state["quote"] == OPPOSE
    messages = [m for kind, m in reviews(app, heard_matter) if kind == "testimony"]
    assert len(messages) == 1
    assert "credited to Chair Ortiz" in messages[0] or "no longer credited" in messages[0]


def test_a_clerks_line_reassignment_is_kept(app, clerk_client, heard_matter):
    with app.app_context():
        line = db.session.get(Segment, heard_matter.segments["SPEAKER_01"])
        maria_voice = db.session.scalars(
            select(Speaker).where(Speaker.person_id == heard_matter.speaker_person_id)
        ).one()
        reassign_segment(db.session, None, line, maria_voice.id)
        db.session.commit()

    process_again(app, heard_matter, LINES)

    with app.app_context():
        line = db.session.scalars(
            select(Segment).where(
                Segment.hearing_id == heard_matter.hearing_id, Segment.text == LEAD
            )
        ).one()
        assert line.speaker.person_id == heard_matter.speaker_person_id
        assert line.speaker_set_by_clerk
        assert {w.speaker_label for w in line.words} == {line.speaker.label}
    assert reviews(app, heard_matter) == []


def test_a_name_with_no_matching_voice_is_listed_not_dropped_silently(
    app, clerk_client, heard_matter
):
    # The new run hears nobody where Maria spoke.
    process_again(app, heard_matter, LINES[:2])

    [(kind, message)] = reviews(app, heard_matter)
    assert kind == "speaker name"
    assert "Maria Lopez" in message


def test_the_process_again_form_says_what_happens_to_clerks_work(app, clerk_client, heard_matter):
    with app.app_context():
        record_testimony(clerk_client, heard_matter)
        hearing = db.session.get(Hearing, heard_matter.hearing_id)
        hearing.recording = Recording(
            sha256="0" * 64,
            original_filename="hearing.wav",
            stored_name="00/hearing.wav",
            size_bytes=1,
            duration_ms=15000,
            media_type="audio/wav",
        )
        db.session.commit()

    page = clerk_client.get(f"/hearings/{heard_matter.hearing_id}").get_data(as_text=True)

    assert "1 testimony is attached again to the lines at the same time" in page
    assert "1 named speaker keeps its name" in page
    assert "Nothing is deleted." in page


def test_a_clerk_marks_a_review_item_checked(app, clerk_client, heard_matter):
    process_again(app, heard_matter, LINES[:2])
    with app.app_context():
        item_id = db.session.scalars(select(ReviewItem.id)).one()

    response = clerk_client.post(
        f"/hearings/{heard_matter.hearing_id}/review/{item_id}",
        data={"csrf_token": token(clerk_client, f"/hearings/{heard_matter.hearing_id}")},
    )

    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ReviewItem, item_id).resolved_at is not None
    page = clerk_client.get(f"/hearings/{heard_matter.hearing_id}").get_data(as_text=True)
    assert "For a clerk to check" not in page


def test_review_items_are_shown_to_clerks_only(app, client, heard_matter):
    process_again(app, heard_matter, LINES[:2])

    page = client.get(f"/hearings/{heard_matter.hearing_id}").get_data(as_text=True)

    assert "For a clerk to check" not in page


def test_a_clerk_attaches_a_reviewed_testimony_to_the_new_lines(app, clerk_client, heard_matter):
    with app.app_context():
        testimony_id = record_testimony(clerk_client, heard_matter)
    reworded = "We oppose the proposal: it misidentifies people and is racially biased."
    process_again(app, heard_matter, [*LINES[:2], (9.5, "SPEAKER_02", reworded)])
    with app.app_context():
        item_id = db.session.scalars(select(ReviewItem.id)).one()

    response = clerk_client.post(
        f"/hearings/{heard_matter.hearing_id}/review/{item_id}/attach",
        data={"csrf_token": token(clerk_client, f"/hearings/{heard_matter.hearing_id}")},
    )

    assert response.status_code == 302
    state = state_of(app, testimony_id)
    assert state["lines"] == [reworded]
    # What the clerk saw when recording it stays with the testimony.
    assert state["quote_text"] == OPPOSE
    with app.app_context():
        assert db.session.get(ReviewItem, item_id).resolved_at is not None
