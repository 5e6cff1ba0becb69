"""Redaction: words withheld everywhere, the public recording silenced there, admins undo it."""

from __future__ import annotations

import io

import numpy as np
import pytest

from hearings.extensions import db
from hearings.models import AuditEntry, Hearing, Redaction, Segment
from tests.web.conftest import csrf_token
from tests.web.test_corrections import QUOTE, correct, line, published  # noqa: F401
from tests.web.test_publishing import signed_in

# The words "not an arrest tool." of the fake line at 3.2-7.15 s lie in 5.5-7.2 s.
START, END = "0:00:05.5", "0:00:07.2"


def redact(client, hearing_id, start=START, end=END, reason="A resident's home address"):
    token = csrf_token(client, f"/hearings/{hearing_id}")
    return client.post(
        f"/hearings/{hearing_id}/redactions",
        data={"csrf_token": token, "start": start, "end": end, "reason": reason},
    )


def decoded(data: bytes, rate: int = 16000) -> np.ndarray:
    import av

    with av.open(io.BytesIO(data)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks = [
            frame.to_ndarray().reshape(-1)
            for decoded_frame in container.decode(audio=0)
            for frame in resampler.resample(decoded_frame)
        ]
    return np.concatenate(chunks)


def fetched(client, path: str):
    response = client.get(path)
    data = response.get_data()
    response.close()  # the recording is streamed from its file
    return response, data


def rms(samples: np.ndarray, start_s: float, end_s: float, rate: int = 16000) -> float:
    part = samples[int(start_s * rate) : int(end_s * rate)]
    return float(np.sqrt(np.mean(part**2)))


def test_redacted_words_disappear_from_pages_search_exports(app, published, clerk_client):  # noqa: F811
    response = redact(clerk_client, published)
    assert response.status_code == 302
    public = app.test_client()
    page = public.get(f"/hearings/{published}").get_data(as_text=True)
    assert "[redacted]" in page and "arrest tool" not in page
    assert "A resident&#39;s home address" in page
    assert f"/hearings/{published}/at/" not in public.get("/search?q=arrest").get_data(as_text=True)
    for fmt in ("vtt", "srt", "txt", "json"):
        text = public.get(f"/hearings/{published}/transcript.{fmt}").get_data(as_text=True)
        assert "arrest" not in text and "[redacted]" in text, fmt
    quote = public.get(f"/hearings/{published}/at/3200").get_data(as_text=True)
    assert "arrest" not in quote
    with app.app_context():
        redaction = db.session.scalars(db.select(Redaction)).one()
        kept = redaction.lines[0]
        assert kept["text"] == QUOTE
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "hearing.redact")
        ).one()
        assert "arrest" not in str(entry.before) + str(entry.after)


def test_the_public_recording_is_silent_in_the_range_and_admins_hear_the_original(
    app,
    published,  # noqa: F811
    clerk_client,
):
    _, original = fetched(app.test_client(), f"/hearings/{published}/recording")
    redact(clerk_client, published)
    served, data = fetched(app.test_client(), f"/hearings/{published}/recording")
    assert served.status_code == 200
    assert served.mimetype == "audio/mp4"
    silenced = decoded(data)
    before = decoded(original)
    # JFK speaks throughout 5.5-7.2 s in the original; the public copy is silent there.
    assert rms(before, 5.6, 7.1) > 0.02
    assert rms(silenced, 5.6, 7.1) < 0.001
    # Outside the range the sound is kept (AAC is lossy: compare loudness, not samples).
    assert rms(silenced, 1.0, 5.0) == pytest.approx(rms(before, 1.0, 5.0), rel=0.1)
    admin = signed_in(app, "root", "admin")
    assert fetched(admin, f"/hearings/{published}/recording")[1] == original


def test_bad_ranges_are_refused_and_change_nothing(app, published, clerk_client):  # noqa: F811
    for start, end, reason in [
        ("0:00:07", "0:00:05", "x"),
        ("0:00:05", "0:00:07", " "),
        ("soon", "0:00:07", "x"),
        ("9:00:00", "9:00:05", "x"),
    ]:
        assert redact(clerk_client, published, start, end, reason).status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Redaction.id))) == 0
        assert (
            db.session.scalars(db.select(Segment.text).where(Segment.start_ms == 3200)).one()
            == QUOTE
        )


def test_only_clerks_redact_and_only_admins_lift(app, published, clerk_client):  # noqa: F811
    editor = signed_in(app, "ed", "editor")
    assert redact(editor, published).status_code == 403
    redact(clerk_client, published)
    with app.app_context():
        redaction_id = db.session.scalars(db.select(Redaction.id)).one()
    token = csrf_token(clerk_client, f"/hearings/{published}")
    lift = f"/hearings/{published}/redactions/{redaction_id}/lift"
    assert clerk_client.post(lift, data={"csrf_token": token}).status_code == 403
    admin = signed_in(app, "root", "admin")
    token = csrf_token(admin, f"/hearings/{published}")
    assert admin.post(lift, data={"csrf_token": token}).status_code == 302
    public = app.test_client()
    assert QUOTE in public.get(f"/hearings/{published}").get_data(as_text=True)
    assert f"/hearings/{published}/at/3200" in public.get("/search?q=arrest").get_data(as_text=True)
    with app.app_context():
        hearing = db.session.get(Hearing, published)
        assert hearing.public_recording_name is None


def test_corrections_of_a_redacted_part_withhold_the_earlier_words(app, published, clerk_client):  # noqa: F811
    segment_id, version = line(app, published, 3200)
    correct(
        clerk_client,
        published,
        segment_id,
        "words",
        version=version,
        text=QUOTE.replace("tool", "tool at 12 Elm Street"),
    )
    redact(clerk_client, published, "0:00:03.2", "0:00:07.2")
    log = app.test_client().get(f"/hearings/{published}/corrections").get_data(as_text=True)
    assert "Elm Street" not in log and "arrest" not in log
    assert "withheld" in log


def test_testimony_keeps_no_redacted_words_and_gets_them_back_when_lifted(
    app,
    published,  # noqa: F811
    clerk_client,
):
    from hearings import models

    with app.app_context():
        segment = db.session.scalars(db.select(Segment).where(Segment.start_ms == 3200)).one()
        testimony = models.Testimony(
            matter=models.Matter(title="Facial recognition ordinance"),
            person=models.Person(name="Shelby Kerr"),
            hearing_id=published,
        )
        testimony.anchor_to([segment])
        db.session.add(testimony)
        db.session.commit()
        testimony_id = testimony.id
    redact(clerk_client, published)
    with app.app_context():
        assert "arrest" not in db.session.get(models.Testimony, testimony_id).quote_text
        redaction_id = db.session.scalars(db.select(Redaction.id)).one()
    page = app.test_client().get(f"/testimony/{testimony_id}").get_data(as_text=True)
    assert "arrest" not in page
    admin = signed_in(app, "root", "admin")
    token = csrf_token(admin, f"/hearings/{published}")
    admin.post(f"/hearings/{published}/redactions/{redaction_id}/lift", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(models.Testimony, testimony_id).quote_text == QUOTE


def lift_all(app, hearing_id):
    admin = signed_in(app, "root", "admin")
    with app.app_context():
        ids = db.session.scalars(
            db.select(Redaction.id).where(Redaction.lifted_at.is_(None)).order_by(Redaction.id)
        ).all()
    token = csrf_token(admin, f"/hearings/{hearing_id}")
    return admin, token, ids


def texts(app, hearing_id):
    with app.app_context():
        return db.session.scalars(
            db.select(Segment.text)
            .where(Segment.hearing_id == hearing_id)
            .order_by(Segment.start_ms)
        ).all()


def test_lifting_after_a_split_gives_every_word_back(app, published, clerk_client):  # noqa: F811
    redact(clerk_client, published)
    segment_id, version = line(app, published, 3200)
    assert (
        correct(
            clerk_client, published, segment_id, "split", at_word=3, version=version
        ).status_code
        == 200
    )
    assert texts(app, published)[1:3] == ["Facial recognition is", "a lead generator, [redacted]"]
    admin, token, (redaction_id,) = lift_all(app, published)
    admin.post(f"/hearings/{published}/redactions/{redaction_id}/lift", data={"csrf_token": token})
    assert texts(app, published)[1:3] == [
        "Facial recognition is",
        "a lead generator, not an arrest tool.",
    ]


def test_two_redactions_in_one_line_are_lifted_one_at_a_time(app, published, clerk_client):  # noqa: F811
    redact(clerk_client, published, "0:00:04.7", "0:00:05.5", "a name")
    redact(clerk_client, published, "0:00:06.3", "0:00:06.8", "an address")
    assert texts(app, published)[1] == "Facial recognition is a [redacted] not an [redacted] tool."
    admin, token, (first, second) = lift_all(app, published)
    admin.post(f"/hearings/{published}/redactions/{second}/lift", data={"csrf_token": token})
    assert texts(app, published)[1] == "Facial recognition is a [redacted] not an arrest tool."
    admin.post(f"/hearings/{published}/redactions/{first}/lift", data={"csrf_token": token})
    assert texts(app, published)[1] == QUOTE


def test_only_an_admin_may_correct_a_redaction_marker_away(app, published, clerk_client):  # noqa: F811
    redact(clerk_client, published)
    segment_id, version = line(app, published, 3200)
    refused = correct(
        clerk_client,
        published,
        segment_id,
        "words",
        version=version,
        text="Facial recognition is a lead generator, not an arrest tool.",
    )
    assert refused.status_code == 422
    assert "Only an admin can lift a redaction" in refused.get_data(as_text=True)
    kept = correct(
        clerk_client,
        published,
        segment_id,
        "words",
        version=version,
        text="Facial recognition is a lead-generator, [redacted]",
    )
    assert kept.status_code == 200


def test_a_moved_line_redacted_later_withholds_its_earlier_words(app, published, clerk_client):  # noqa: F811
    segment_id, version = line(app, published, 3200)
    correct(
        clerk_client,
        published,
        segment_id,
        "words",
        version=version,
        text=QUOTE.replace("tool", "tool, call Ms Hidalgo"),
    )
    correct(
        clerk_client,
        published,
        segment_id,
        "times",
        version=version + 1,
        start="0:00:07.5",
        end="0:00:09.4",
    )
    redact(clerk_client, published, "0:00:07.5", "0:00:09.4")
    for path in (f"/hearings/{published}/corrections", f"/hearings/{published}/at/7500-9400"):
        page = app.test_client().get(path).get_data(as_text=True)
        assert "Hidalgo" not in page and "arrest" not in page, path
    # Clerks who are not admins do not read it in the line's history either.
    editor = clerk_client.get(f"/hearings/{published}/lines/{segment_id}/edit").get_data(
        as_text=True
    )
    assert "Hidalgo" not in editor and "withheld" in editor
