"""Upload validation: refused files get a clear 4xx and never disturb stored data."""

import shutil
from pathlib import Path

import pytest

from hearings.extensions import db
from hearings.models import Hearing, Job, Recording, Segment
from tests.web.conftest import hearing_form, tone_wav


def stored_files(app) -> list[Path]:
    return sorted(p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file())


def counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(db.select(db.func.count()).select_from(model))
            for model in (Hearing, Recording, Job, Segment)
        )


@pytest.fixture
def existing(app, clerk_client, jfk_wav):
    """A hearing already uploaded and transcribed, which later bad uploads must not touch."""
    assert hearing_form(clerk_client, jfk_wav).status_code == 302
    return counts(app), stored_files(app)


def test_upload_creates_hearing_job_and_transcript(app, clerk_client, jfk_wav, fake_pipeline):
    response = hearing_form(clerk_client, jfk_wav)
    assert response.status_code == 302
    with app.app_context():
        hearing = db.session.scalars(db.select(Hearing)).one()
        assert hearing.body.name == "Equal Rights Commission"
        assert hearing.recording.duration_ms == pytest.approx(11000, abs=50)
        assert hearing.recording.stored_name.startswith(hearing.recording.sha256[:2] + "/")
        job = hearing.latest_job
        assert (job.status, job.progress, job.attempts) == ("done", 100, 1)
        assert [s.text for s in hearing.segments][1].startswith("Facial recognition")
        assert hearing.transcript_sha256 is None or len(hearing.transcript_sha256) == 64
    assert len(fake_pipeline.runs) == 1
    # The temporary upload was moved, not copied: only the stored recording is left.
    assert [p.name for p in stored_files(app)] == [Path(fake_pipeline.runs[0]).name]


def test_same_file_twice_is_detected_not_processed_again(
    app, clerk_client, jfk_wav, fake_pipeline, existing
):
    copy = jfk_wav.with_name("renamed copy.wav")
    shutil.copyfile(jfk_wav, copy)
    response = hearing_form(clerk_client, copy, title="Another title")
    assert response.status_code == 409
    assert b"already uploaded" in response.data
    assert b"Open that hearing" in response.data
    assert len(fake_pipeline.runs) == 1
    assert (counts(app), stored_files(app)) == existing


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.mp3", b"", b"empty"),
        ("notes.mp3", b"These are my meeting notes, not audio.\n" * 50, b"not"),
        ("agenda.pdf", b"%PDF-1.4 not a recording", b"not a supported recording type"),
    ],
)
def test_bad_files_are_refused(app, clerk_client, tmp_path, existing, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    response = hearing_form(clerk_client, path)
    assert response.status_code in (400, 422)
    assert message in response.data.lower()
    assert (counts(app), stored_files(app)) == existing


def test_truncated_audio_is_refused(app, clerk_client, tmp_path, existing):
    whole = tone_wav(tmp_path / "whole.wav", seconds=30)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 16000 * 2 * 3])
    response = hearing_form(clerk_client, cut)
    assert response.status_code == 422
    assert b"cut short" in response.data
    assert (counts(app), stored_files(app)) == existing


def test_hostile_filename_is_neutralised(app, clerk_client, tmp_path):
    path = tone_wav(tmp_path / "tone.wav")
    response = hearing_form(clerk_client, path, filename="../../../etc/<script>x</script>.wav")
    assert response.status_code == 302
    with app.app_context():
        recording = db.session.scalars(db.select(Recording)).one()
        assert "/" not in recording.original_filename and "<" not in recording.original_filename
    upload_root = Path(app.config["UPLOAD_FOLDER"]).resolve()
    assert all(upload_root in p.resolve().parents for p in stored_files(app))


def test_oversize_upload_gets_413(app, clerk_client, tmp_path, existing):
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    path = tone_wav(tmp_path / "long.wav", seconds=10)
    response = hearing_form(clerk_client, path)
    assert response.status_code == 413
    assert b"larger than this site accepts" in response.data
    assert (counts(app), stored_files(app)) == existing


def test_missing_fields_re_show_the_form(app, clerk_client, tmp_path, existing):
    path = tone_wav(tmp_path / "tone.wav", frequency=330)
    response = hearing_form(clerk_client, path, title="", date="not a date")
    assert response.status_code == 400
    assert b"This field is required" in response.data or b"Not a valid date" in response.data
    assert (counts(app), stored_files(app)) == existing


def test_video_upload_is_accepted(app, clerk_client, tmp_path, jfk_wav):
    import subprocess

    if not shutil.which("ffmpeg"):
        pytest.skip("needs ffmpeg to make a video file")
    video = tmp_path / "meeting.mp4"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=gray:s=160x120:d=11",
            "-i",
            str(jfk_wav),
            "-shortest",
            "-c:v",
            "libx264",
            "-c:a",
            "aac",
            str(video),
        ],
        check=True,
    )
    assert hearing_form(clerk_client, video).status_code == 302
    with app.app_context():
        assert db.session.scalars(db.select(Recording)).one().media_type == "video/mp4"


def test_speaker_settings_reach_the_pipeline_and_can_be_changed(
    app, clerk_client, jfk_wav, fake_pipeline
):
    from tests.web.conftest import csrf_token

    response = hearing_form(clerk_client, jfk_wav, num_speakers="3", clustering_threshold="")
    assert response.status_code == 302
    assert fake_pipeline.settings == {"num_speakers": 3}
    with app.app_context():
        hearing_id = db.session.scalars(db.select(Hearing.id)).one()
    page = f"/hearings/{hearing_id}"
    token = csrf_token(clerk_client, page)
    bad = clerk_client.post(f"{page}/reprocess", data={"csrf_token": token, "num_speakers": "-2"})
    assert bad.status_code == 400
    assert b"Number must be between 1 and 200" in bad.data
    assert len(fake_pipeline.runs) == 1
    good = clerk_client.post(
        f"{page}/reprocess",
        data={"csrf_token": token, "max_speakers": "6", "clustering_threshold": "0.6"},
    )
    assert good.status_code == 302
    # The same audio is processed again (not skipped by its hash) with the new settings.
    assert len(fake_pipeline.runs) == 2
    assert fake_pipeline.settings == {"max_speakers": 6, "clustering_threshold": 0.6}
    with app.app_context():
        hearing = db.session.get(Hearing, hearing_id)
        assert (hearing.num_speakers, hearing.max_speakers) == (None, 6)
        assert len(hearing.jobs) == 2 and hearing.latest_job.status == "done"


def test_anonymous_cannot_reprocess(client, app, clerk_client, jfk_wav, fake_pipeline):
    assert hearing_form(clerk_client, jfk_wav).status_code == 302
    anonymous = app.test_client()
    assert anonymous.post("/hearings/1/reprocess", data={}).status_code in (302, 400)
    assert len(fake_pipeline.runs) == 1


def test_a_recording_missing_from_disk_gives_410_and_tells_the_clerks(
    app, clerk_client, client, jfk_wav
):
    response = hearing_form(clerk_client, jfk_wav)
    assert response.status_code == 302
    page = response.headers["Location"]
    with app.app_context():
        from hearings.models import Hearing
        from hearings.storage import recording_path

        hearing = db.session.scalars(db.select(Hearing)).one()
        recording_path(hearing.recording.stored_name).unlink()
        hearing.published_at = hearing.created_at
        db.session.commit()

    public = app.test_client().get(f"{page}/recording")
    assert public.status_code == 410
    assert "Recording not available" in public.get_data(as_text=True)
    assert app.test_client().get(f"{page}/recording").status_code == 410
    clerk_page = clerk_client.get(page).get_data(as_text=True)
    assert clerk_page.count("is not in the upload folder") == 1
    assert "is not in the upload folder" not in app.test_client().get(page).get_data(as_text=True)


def test_abandoned_partial_uploads_are_swept_and_fresh_ones_kept(app, tmp_path):
    import os
    import time

    from hearings.storage import sweep_abandoned_uploads

    incoming = Path(app.config["UPLOAD_FOLDER"]) / "incoming"
    incoming.mkdir(parents=True)
    old, fresh, other = (
        incoming / "incoming-old",
        incoming / "incoming-fresh",
        incoming / "notes.txt",
    )
    for path in (old, fresh, other):
        path.write_bytes(b"partial")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(other, (two_days_ago, two_days_ago))

    assert sweep_abandoned_uploads(app.config["UPLOAD_FOLDER"]) == 1
    assert not old.exists() and fresh.exists() and other.exists()


def test_non_ascii_and_long_file_names_are_kept_for_display(app, clerk_client, tmp_path):
    first = hearing_form(clerk_client, tone_wav(tmp_path / "a.wav"), filename="日本語の公聴会.wav")
    long_name = "Council meeting " + "x" * 300 + ".wav"
    second = hearing_form(
        clerk_client, tone_wav(tmp_path / "b.wav", frequency=440.0), filename=long_name
    )
    assert (first.status_code, second.status_code) == (302, 302)
    with app.app_context():
        names = db.session.scalars(db.select(Recording.original_filename).order_by(Recording.id))
        kept, cut = list(names)
    assert kept == "日本語の公聴会.wav"
    assert len(cut) == 255 and cut.endswith(".wav") and cut.startswith("Council meeting x")


def test_a_refused_upload_is_named_as_the_clerk_named_it(app, clerk_client, tmp_path, existing):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF" + b"\0" * 40 + b"not really audio" * 10)

    response = hearing_form(clerk_client, broken, filename="Hearing März.wav")

    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Hearing März.wav" in text
    assert "incoming-" not in text
    assert (counts(app), stored_files(app)) == existing
