"""Who spoke when: naming, merging and reassigning speakers, and recognising returning voices.

Every change an editor makes is written to the audit log in the same transaction. Voice matches
are only ever stored as suggestions (Speaker.suggested_person_id); a name reaches the public
record when an editor confirms it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from hearings.audit import audited
from hearings.errors import Conflict, Refused
from hearings.models import Hearing, Person, Segment, Speaker
from hearings.models.audit import record
from hearings.models.base import DbSession
from hearings.people import PersonDetails, create_person, organization_choices, people_to_offer

# Turns of one speaker closer than this are drawn as one stretch on the timeline...
TIMELINE_JOIN_MS = 1500
# ...or closer than this share of the recording: on a 3-hour timeline a pixel is about ten
# seconds, and drawing each of the chair's remarks apart only made the page heavier.
TIMELINE_RESOLUTION = 1 / 1000
# The narrowest a turn is drawn, in percent of the recording, so short remarks stay clickable.
TIMELINE_MIN_WIDTH = 0.2

_LABEL_NUMBER = re.compile(r"^SPEAKER_(\d+)$")


# --- Naming -------------------------------------------------------------------------------


def name_speaker(
    session: DbSession,
    user,
    speaker: Speaker,
    *,
    person_id: int | None = None,
    details: PersonDetails | None = None,
    same_name_ok: bool = False,
) -> Person:
    """Link a speaker label to an existing person, or to a new one made from details.

    Raises:
        Refused: neither a known person nor a usable name was given.
        Conflict: a new person would share an existing person's name and the editor did
            not say they are different people.
    """
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise Refused("That person is not in the record any more; reload the page.")
    else:
        person = create_person(session, user, details or PersonDetails(), same_name_ok=same_name_ok)
    _set_person(session, user, speaker, person, action="speaker.name")
    session.flush()
    return person


def unname_speaker(session: DbSession, user, speaker: Speaker) -> None:
    """Take the name off a speaker label, back to the diarizer's label."""
    if speaker.person_id is None:
        raise Refused(f"{speaker.label} has no name to remove.")
    _set_person(session, user, speaker, None, action="speaker.unname")


def confirm_suggestion(session: DbSession, user, speaker: Speaker) -> Person:
    """Accept the voice-match suggestion as the speaker's name."""
    person = speaker.suggested_person
    if person is None:
        raise Refused(f"There is no suggestion for {speaker.label} to confirm.")
    _set_person(session, user, speaker, person, action="speaker.confirm")
    return person


def dismiss_suggestion(session: DbSession, user, speaker: Speaker) -> None:
    """Drop the voice-match suggestion for a speaker, audited."""
    if speaker.suggested_person_id is None:
        raise Refused(f"There is no suggestion for {speaker.label} to dismiss.")
    with audited(
        session, user, "speaker.dismiss", speaker, speaker_state, hearing_id=speaker.hearing_id
    ):
        speaker.suggested_person_id = None
        speaker.suggested_similarity = None


def _set_person(session, user, speaker: Speaker, person: Person | None, *, action: str) -> None:
    with audited(session, user, action, speaker, speaker_state, hearing_id=speaker.hearing_id):
        speaker.person = person
        # A confirmed (or removed) name makes outstanding guesses moot.
        speaker.suggested_person_id = None
        speaker.suggested_similarity = None
        _forget_heard(speaker)
        if person is not None and not keeps_voice(session, person):
            # A member of the public is not enrolled: their voiceprint is not kept.
            speaker.embedding = None


def _in_office():
    """Return the query of the people holding a seat today (a term not ended)."""
    from datetime import date

    from hearings.models import Membership

    return select(Membership.person_id).where(
        Membership.end_date.is_(None) | (Membership.end_date >= date.today())
    )


def keeps_voice(session: DbSession, person: Person) -> bool:
    """Return whether a person's voice is kept to recognise them in later hearings.

    Members of a body speak in office and are recognised while they hold a seat; anyone else
    only if a clerk ticked that they agreed.
    """
    if person.voice_consent:
        return True
    return (
        session.scalar(select(Person.id).where(Person.id == person.id, Person.id.in_(_in_office())))
        is not None
    )


def drop_unkept_voices(session: DbSession, speakers) -> None:
    """Delete the voiceprints of named speakers whose voice is not kept (merges, new runs)."""
    for speaker in speakers:
        person = speaker.person
        if (
            person is not None
            and speaker.embedding is not None
            and not keeps_voice(session, person)
        ):
            speaker.embedding = None
    session.flush()


def forget_voice(session: DbSession, user, person: Person) -> int:
    """Delete every stored voiceprint of a person and their consent; return how many went."""
    from hearings.people import person_state

    kept = session.scalars(
        select(Speaker).where(Speaker.person_id == person.id, Speaker.embedding.is_not(None))
    ).all()
    with audited(session, user, "person.forget_voice", person, person_state):
        for speaker in kept:
            speaker.embedding = None
        person.voice_consent = False
        # Matches already made against the forgotten voice go too.
        for guessed in session.scalars(
            select(Speaker).where(Speaker.suggested_person_id == person.id)
        ):
            guessed.suggested_person_id = None
            guessed.suggested_similarity = None
    return len(kept)


def set_voice_consent(session: DbSession, user, person: Person, consent: bool) -> None:
    """Record whether the person agreed to be recognised by voice; withdrawing forgets it."""
    from hearings.people import person_state

    if not consent:
        forget_voice(session, user, person)
        return
    with audited(session, user, "person.voice_consent", person, person_state, skip_unchanged=True):
        person.voice_consent = True


def _forget_heard(speaker: Speaker) -> None:
    speaker.heard_name = speaker.heard_organization = speaker.heard_quote = None
    speaker.heard_at_ms = None
    speaker.heard_confidence = None


def confirm_heard_name(session: DbSession, user, speaker: Speaker) -> Person:
    """Name the speaker as heard: the person in the record of that name, or a new one.

    The organization heard with the name becomes the new person's affiliation (an existing
    organization when the name or one of its aliases matches).
    """
    from hearings.people import person_or_new

    if not speaker.heard_name:
        raise Refused(f"No name was heard for {speaker.label}.")
    if speaker.person_id is not None:
        raise Conflict(f"{speaker.label} is named already; remove that name first.")
    person = person_or_new(session, user, speaker.heard_name, speaker.heard_organization)
    _set_person(session, user, speaker, person, action="speaker.confirm_heard")
    return person


def dismiss_heard_name(session: DbSession, user, speaker: Speaker) -> None:
    """Drop the name heard for a speaker, audited."""
    if not speaker.heard_name:
        raise Refused(f"No name was heard for {speaker.label}.")
    with audited(
        session,
        user,
        "speaker.dismiss_heard",
        speaker,
        speaker_state,
        hearing_id=speaker.hearing_id,
    ):
        _forget_heard(speaker)


def suggest_names_heard(session: DbSession, hearing: Hearing) -> list[Speaker]:
    """Suggest a name for each unnamed voice from what was said in the hearing.

    Names the glossary spells otherwise are respelled ("Gregory Lindquist" -> "Lindqvist").
    Returns the speakers with a suggestion; only the heard_* fields are set.
    """
    from hearings.glossary import near_misses, respelled, terms_of
    from hearings.introductions import full_name, names_heard, speaker_turns_of

    lines = [(s.speaker.label if s.speaker else None, s.start_ms, s.text) for s in hearing.segments]
    heard = names_heard(speaker_turns_of(lines))
    terms = [t.term for t in terms_of(session, hearing.body_id)]
    # Everyone a surname heard alone ("Thank you, Mr. Brooks") could belong to; read once.
    known: list[str] | None = None
    suggested = []
    for speaker in hearing.speakers:
        found = heard.get(speaker.label)
        if speaker.person_id is not None or found is None:
            _forget_heard(speaker)
            continue
        name, organization = found.name, found.organization
        if terms:
            name = respelled(name, near_misses(name, terms))
            if organization:
                organization = respelled(organization, near_misses(organization, terms))
        if len(name.split()) == 1:
            if known is None:
                known = list(session.scalars(select(Person.name))) + terms
            name = full_name(name, known) or name
        speaker.heard_name = name[:200]
        speaker.heard_organization = organization[:200] if organization else None
        speaker.heard_quote = found.quote
        # The line the words were said in, so the time link plays them.
        opening = found.quote[:20]
        said_in = next(
            (
                line
                for line in hearing.segments
                if line.start_ms >= found.start_ms and opening in line.text
            ),
            None,
        )
        speaker.heard_at_ms = said_in.start_ms if said_in else found.start_ms
        speaker.heard_confidence = found.confidence
        suggested.append(speaker)
    session.flush()
    return suggested


# --- Merging and reassigning ---------------------------------------------------------------


def merge_speakers(session: DbSession, user, source: Speaker, target: Speaker) -> Speaker:
    """Give all of source's lines to target and remove the source label.

    Raises:
        Refused: the labels are the same or from different hearings.
        Conflict: both labels are named, as different people.
    """
    if source.id == target.id:
        raise Refused("Pick two different speakers to merge.")
    if source.hearing_id != target.hearing_id:
        raise Refused("Only speakers of the same hearing can be merged.")
    if source.person_id and target.person_id and source.person_id != target.person_id:
        # Both are named, so both have a person.
        assert source.person is not None and target.person is not None
        raise Conflict(
            f"{source.label} is named {source.person.name} and {target.label} is named "
            f"{target.person.name}. Remove one of the names first if they are one person."
        )
    before = {"source": speaker_state(source), "target": speaker_state(target)}
    moved = list(session.scalars(select(Segment).where(Segment.speaker_id == source.id)))
    for segment in moved:
        segment.speaker = target
        _relabel_words(segment, source.label, target.label)
    if target.person_id is None and source.person_id is not None:
        target.person_id = source.person_id
        target.suggested_person_id = target.suggested_similarity = None
    if target.embedding is None and source.embedding is not None:
        target.embedding = source.embedding
    if target.person_id is None and target.suggested_person_id is None:
        target.suggested_person_id = source.suggested_person_id
        target.suggested_similarity = source.suggested_similarity
    session.flush()
    drop_unkept_voices(session, [target])
    record(
        session,
        user,
        "speaker.merge",
        target,
        before,
        {
            "target": speaker_state(target),
            "segment_ids": [s.id for s in moved],
            "removed_label": source.label,
        },
        hearing_id=target.hearing_id,
    )
    session.delete(source)
    session.flush()
    return target


def reassign_segment(
    session: DbSession, user, segment: Segment, speaker_id: int | None, *, new_label: bool = False
) -> Speaker:
    """Give one transcript line to another speaker of its hearing, or to a new label."""
    if new_label:
        target = Speaker(
            hearing_id=segment.hearing_id, label=next_label(session, segment.hearing_id)
        )
        session.add(target)
        session.flush()
    else:
        chosen = session.get(Speaker, speaker_id) if speaker_id is not None else None
        if chosen is None or chosen.hearing_id != segment.hearing_id:
            raise Refused("Pick one of this hearing's speakers.")
        target = chosen
    if segment.speaker_id == target.id:
        return target
    previous = segment.speaker
    with audited(
        session, user, "segment.reassign", segment, _line_speaker, hearing_id=segment.hearing_id
    ):
        segment.speaker = target
        # A person's decision, which processing the recording again must keep.
        segment.speaker_set_by_clerk = True
        _relabel_words(segment, previous.label if previous else None, target.label)
    return target


def _line_speaker(segment: Segment) -> dict:
    speaker = segment.speaker
    return {
        "speaker_id": speaker.id if speaker else None,
        "label": speaker.label if speaker else None,
        "speaker": speaker.display if speaker else None,
    }


def next_label(session: DbSession, hearing_id: int) -> str:
    """Return the next free diarizer-style label in a hearing, e.g. SPEAKER_04."""
    labels = session.scalars(select(Speaker.label).where(Speaker.hearing_id == hearing_id))
    numbers = [int(m.group(1)) for label in labels if (m := _LABEL_NUMBER.match(label))]
    return f"SPEAKER_{max(numbers, default=-1) + 1:02d}"


def _relabel_words(segment: Segment, old: str | None, new: str) -> None:
    # Word labels are the diarizer's; keep other voices' words in a crosstalk line as they were,
    # so exports never name a label that no longer exists.
    for word in segment.words:
        if word.speaker_label == old or old is None:
            word.speaker_label = new


def speaker_state(speaker: Speaker) -> dict:
    """Return what the audit log keeps about a speaker label."""
    return {
        "label": speaker.label,
        "person_id": speaker.person_id,
        "person": speaker.person.display if speaker.person else None,
        "suggested_person_id": speaker.suggested_person_id,
        # How sure the voice match was: a confirmed or dismissed guess keeps it here.
        "suggested_similarity": speaker.suggested_similarity,
        "heard_name": speaker.heard_name,
        "heard_quote": speaker.heard_quote,
    }


# --- Recognising returning speakers --------------------------------------------------------


def match_threshold(config: Mapping) -> float:
    """Return the similarity a voice match needs, from the app's settings."""
    value = config.get("SPEAKER_MATCH_THRESHOLD")
    if value in (None, ""):
        # Imported here: transcription's voice module loads numpy, which pages never need.
        from transcription.voices import RECOGNITION_THRESHOLD

        return RECOGNITION_THRESHOLD
    return float(value)


def known_voices(session: DbSession, *, excluding_hearing_id: int) -> dict[int, list[list[float]]]:
    """Return the stored embeddings of named speakers per person, from other hearings."""
    # Only voices kept with a reason: members of a body in office, and people who consented.
    kept = select(Person.id).where(Person.voice_consent.is_(True) | Person.id.in_(_in_office()))
    rows = session.execute(
        select(Speaker.person_id, Speaker.embedding).where(
            Speaker.person_id.in_(kept),
            Speaker.embedding.is_not(None),
            Speaker.hearing_id != excluding_hearing_id,
        )
    )
    voices: dict[int, list[list[float]]] = defaultdict(list)
    for person_id, embedding in rows:
        assert person_id is not None  # the query keeps named speakers only
        if embedding:
            voices[person_id].append(embedding)
    return dict(voices)


def best_match(
    embedding: list[float], voices: Mapping[int, list[list[float]]], threshold: float
) -> tuple[int, float] | None:
    """Return (person_id, similarity) of the closest known voice at or above threshold."""
    from transcription.voices import rank_known_voices

    # Embeddings from another encoder cannot be compared; skip them rather than fail.
    comparable = {
        key: [v for v in stored if len(v) == len(embedding)] for key, stored in voices.items()
    }
    ranked = rank_known_voices(embedding, comparable, threshold)
    return ranked[0] if ranked else None


def suggest_returning_speakers(
    session: DbSession, hearing: Hearing, threshold: float | None = None
) -> list[Speaker]:
    """Suggest a known person for each unnamed label that sounds like them.

    Only Speaker.suggested_person_id and suggested_similarity are set: the public name
    (person_id) waits for an editor's confirmation. Returns the speakers with a suggestion.
    """
    if threshold is None:
        from flask import current_app

        threshold = match_threshold(current_app.config)
    voices = known_voices(session, excluding_hearing_id=hearing.id)
    suggested = []
    for speaker in hearing.speakers:
        if speaker.person_id is not None:
            continue
        match = best_match(speaker.embedding, voices, threshold) if speaker.embedding else None
        if match is None:
            speaker.suggested_person_id = speaker.suggested_similarity = None
            continue
        speaker.suggested_person_id, similarity = match
        speaker.suggested_similarity = round(float(similarity), 4)
        suggested.append(speaker)
    session.flush()
    return suggested


# --- Reading: the timeline and the lines ------------------------------------------------------


@dataclass
class Turn:
    """A stretch of one speaker's talk, placed on the hearing's timeline."""

    start_ms: int
    end_ms: int
    left: float
    width: float
    crosstalk: bool = False


@dataclass
class SpeakerBand:
    """One speaker's row on the timeline."""

    speaker: Speaker
    turns: list[Turn] = field(default_factory=list)
    talk_ms: int = 0
    lines: int = 0


def speaker_timeline(session: DbSession, hearing: Hearing) -> tuple[list[SpeakerBand], int, int]:
    """Return a band per speaker with their turns, the timeline's length in ms, and the lines.

    Read from light (speaker, times) rows, not line objects: a 3-hour hearing has 1,800 lines
    but a few hundred turns, and the turns are what is drawn.
    """
    rows = session.execute(
        select(Segment.speaker_id, Segment.start_ms, Segment.end_ms, Segment.crosstalk)
        .where(Segment.hearing_id == hearing.id)
        .order_by(Segment.start_ms, Segment.id)
    ).all()
    recorded = hearing.recording.duration_ms if hearing.recording else 0
    duration = max([recorded] + [row.end_ms for row in rows]) or 1
    join_ms = max(TIMELINE_JOIN_MS, duration * TIMELINE_RESOLUTION)
    bands = {speaker.id: SpeakerBand(speaker) for speaker in hearing.speakers}
    for speaker_id, start_ms, end_ms, crosstalk in rows:
        # A line without a speaker has no band.
        band = bands.get(speaker_id) if speaker_id is not None else None
        if band is None:
            continue
        band.talk_ms += end_ms - start_ms
        band.lines += 1
        last = band.turns[-1] if band.turns else None
        if last and last.crosstalk == crosstalk and start_ms - last.end_ms <= join_ms:
            last.end_ms = max(last.end_ms, end_ms)
        else:
            band.turns.append(Turn(start_ms, end_ms, 0, 0, crosstalk))
    for band in bands.values():
        for turn in band.turns:
            turn.left = round(100 * turn.start_ms / duration, 3)
            turn.width = round(
                max(100 * (turn.end_ms - turn.start_ms) / duration, TIMELINE_MIN_WIDTH), 3
            )
    # In order of first words, as an editor meets them reading down the transcript.
    ordered = sorted(
        bands.values(),
        key=lambda b: (not b.turns, b.turns[0].start_ms if b.turns else 0, b.speaker.label),
    )
    return ordered, duration, len(rows)


def speakers_panel(session: DbSession, hearing: Hearing, for_clerk: bool) -> dict:
    """Return what the speakers panel shows: timeline bands and, for clerks, the choices."""
    bands, duration, lines = speaker_timeline(session, hearing)
    panel: dict = {"bands": bands, "duration_ms": duration, "lines": lines, "editor": for_clerk}
    if for_clerk:
        panel["people"] = people_to_offer(session, hearing)
        panel["organizations"] = organization_choices(session)
    return panel
