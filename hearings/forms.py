"""Forms: every form a view changes the record with is one of these (Flask-WTF, with CSRF).

(The roll-call form's live preview reads the half-filled fields leniently instead: it stores
nothing, and must show an outcome while the form is still incomplete.)

The fields check only what a value can be (a record id, a date, a time in the recording); what
the record will take (a named speaker, a matter with a body) is the services' to refuse. The
clerk's record forms are written out in their templates, where htmx swaps parts of them, so
their fields carry the names the templates give their inputs.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FloatField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from hearings.errors import Malformed, Refused
from hearings.people import PersonDetails
from hearings.record_ids import MAX_INT, record_id
from hearings.timecodes import parse_time

FormT = TypeVar("FormT", bound="PageForm")

SUBMIT_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class PageForm(FlaskForm):
    """A form one of the site's pages posts: its text fields, and files for its file fields.

    Flask-WTF would also read a JSON body, or a file sent under a text field's name, putting
    lists, numbers and uploads where the fields expect typed text. No page sends those, so
    they are not read: such a field is as empty as if nothing had been typed.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            # Given data (or None, for a form shown filled from a record) is used as it is;
            # Flask-WTF's own reading is not called at all: it would parse a JSON body, and
            # fail on one that is not an object.
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata
            if request.method not in SUBMIT_METHODS:
                return None
            file_fields = {field.name for field in form if isinstance(field, FileField)}
            files = MultiDict(
                (name, upload)
                for name, upload in request.files.items(multi=True)
                if name in file_fields
            )
            return CombinedMultiDict((files, request.form))


def submitted(form_class: type[FormT]) -> FormT:
    """Return the posted form read into its class; Refused with the first problem found.

    Views call this inside ``change_to_the_record``, so the problem is shown beside the form
    the clerk sent, with what they typed still in it.
    """
    form = form_class()
    if not form.validate():
        field = next(field for field in form if field.errors)
        raise getattr(field, "refusal", Refused)(field.errors[0])
    return form


# --- fields for inputs the templates write out --------------------------------------------


class ChosenTextField(StringField):
    """A value the page offers as a choice; one it does not offer was not sent by the page."""

    refusal = Malformed


def _sentence(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


class WholeNumberField(Field):
    """One optional whole number: a record id a <select> sends, or a count the clerk typed.

    Blank is None. The label is the noun phrase the message names ("the body"). A choice from
    a list that is not a number was not sent by the page (400); a typed count is a typo (422).
    """

    data: int | None

    def __init__(self, label: str, message: str | None = None, typed: bool = False, **kwargs):
        super().__init__(label, **kwargs)
        self.message = message or f"{_sentence(label)} must be a whole number."
        self.typed = typed
        self.refusal = Refused if typed else Malformed

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not raw:
            return
        if self.typed:
            # A count the clerk typed: 0 is a number (the services say if it is too few), but
            # nothing larger than the database's integer columns hold.
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > MAX_INT:
                raise ValueError(self.message)
            self.data = int(raw)
        else:
            try:
                self.data = record_id(raw)
            except ValueError:
                raise ValueError(self.message) from None


class RecordIdsField(Field):
    """Record ids sent once each (checkboxes, selected transcript lines); blanks skipped."""

    data: list[int]
    refusal = Malformed

    def __init__(self, label: str | None = None, **kwargs):
        super().__init__(label, default=list, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = []
        for raw in valuelist:
            if not raw.strip():
                continue
            try:
                self.data.append(record_id(raw))
            except ValueError:
                raise ValueError(f"“{raw}” is not a valid choice for {self.name}.") from None


class RepeatedTextField(Field):
    """A text input the form repeats (one per organization): every value, in order."""

    data: list[str]

    def __init__(self, label: str | None = None, **kwargs):
        super().__init__(label, default=list, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = list(valuelist)


class IsoDateField(Field):
    """An optional date as <input type="date"> sends it (YYYY-MM-DD); blank is None."""

    data: date | None

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = valuelist[0].strip() if valuelist else ""
        self.data = None
        if raw:
            try:
                self.data = date.fromisoformat(raw)
            except ValueError:
                raise ValueError(
                    f"Write {self.label.text} as YYYY-MM-DD (“{raw}” is not a date)."
                ) from None


class TimecodeField(Field):
    """An optional time in the recording, typed as h:mm:ss (or seconds), as milliseconds."""

    data: int | None

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = valuelist[0] if valuelist else ""
        self.data = parse_time(raw)
        if raw.strip() and self.data is None:
            raise ValueError("Write times as h:mm:ss, for example 1:02:30.")


def _text() -> StringField:
    # Length limits and blank checks are the services', which say which field is too long.
    return StringField(default="")


class LoginForm(PageForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this computer for 30 days")


# The languages a hearing may be spoken in, as the pipeline reads them (transcription.languages).
LANGUAGE_CHOICES = [
    SelectChoice("", "The site's default"),
    SelectChoice("en", "English"),
    SelectChoice("es", "Spanish"),
    SelectChoice("en,es", "English and Spanish, detected per speaker turn"),
    SelectChoice("auto", "Any language, detected per speaker turn"),
]


def _none_if_empty(value: str | None) -> str | None:
    return value or None


class SpeakerSettingsForm(PageForm):
    """What the clerk knows about who spoke, and in what language; every field may stay empty."""

    # The empty choice reads as None (the site's default), for the hearing and the form alike.
    languages = SelectField(
        "Languages spoken",
        choices=LANGUAGE_CHOICES,
        coerce=_none_if_empty,
        description="Anything but English is recognised with the multilingual model "
        "(slower); each line keeps the language it was heard in.",
    )

    num_speakers = IntegerField(
        "Number of speakers, if known",
        validators=[Optional(), NumberRange(1, 200)],
        description="Members who sat plus people who testified.",
    )
    max_speakers = IntegerField(
        "At most this many speakers", validators=[Optional(), NumberRange(1, 200)]
    )
    clustering_threshold = FloatField(
        "Voice threshold (advanced)",
        validators=[Optional(), NumberRange(0.1, 1.5)],
        description="Lower tells similar voices apart more readily; default 0.7.",
    )


class HearingForm(SpeakerSettingsForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    body = StringField(
        "Body",
        validators=[DataRequired(), Length(max=200)],
        description="For example “Equal Rights Commission” or “Common Council”.",
    )
    date = DateField("Date of the hearing", validators=[DataRequired()])
    agenda_text = TextAreaField("Agenda matters (optional)", validators=[Length(max=20000)])
    recording = FileField(
        "Recording",
        validators=[FileRequired("Choose the audio or video file of the hearing.")],
        description="mp3, wav, m4a, flac, ogg/opus, webm or mp4; long meetings are fine.",
    )


# --- the clerk's record forms --------------------------------------------------------------


class MatterForm(PageForm):
    title = _text()
    file_number = _text()
    body_id = WholeNumberField("the body")
    matter_type = _text()
    status = _text()
    intro_date = IsoDateField("the date introduced")
    summary = _text()


class ConcernForm(PageForm):
    name = _text()


class TestimonyFields(PageForm):
    """Who testified, for whom, their position and concerns: the fields every kind shares."""

    person_id = WholeNumberField("the person")
    person_name = _text()
    organization = RepeatedTextField()
    # The person spoke for themselves, although the record lists an affiliation for them.
    own_behalf = BooleanField(default=False)
    position = _text()
    concern_ids = RecordIdsField()

    def testimony_fields(self) -> dict:
        """Return the fields as the testimony services take them."""
        return {
            "person_id": self.person_id.data,
            "person_name": self.person_name.data,
            "organization_names": self.organization.data or [],
            "own_behalf": bool(self.own_behalf.data),
            "position": self.position.data or "not_stated",
            "concern_ids": self.concern_ids.data or [],
        }


class OralTestimonyForm(TestimonyFields):
    matter_id = WholeNumberField("the matter")
    segment_ids = RecordIdsField()


class CardTestimonyForm(TestimonyFields):
    received_on = IsoDateField("the date received")
    hearing_id = WholeNumberField("the hearing")

    def testimony_fields(self) -> dict:
        """Return the shared fields, and when and at which hearing it was received."""
        return {
            **super().testimony_fields(),
            "received_on": self.received_on.data,
            "hearing_id": self.hearing_id.data,
        }


class WrittenTestimonyForm(CardTestimonyForm):
    written_text = _text()
    # Size and type are checked where the PDF is kept, which reads the upload itself.
    document = FileField()


class PositionForm(PageForm):
    position = _text()


class ConfirmSuggestionForm(PageForm):
    suggested = _text()


class ConcernsForm(PageForm):
    concern_ids = RecordIdsField()


class OrganizationsForm(PageForm):
    organization = RepeatedTextField()


class AgendaTimesForm(PageForm):
    start = TimecodeField()
    end = TimecodeField()


class AgendaItemForm(AgendaTimesForm):
    matter_id = WholeNumberField("the matter")
    title = _text()


class MembershipForm(PageForm):
    person_id = WholeNumberField("the person")
    person_name = _text()
    seat = _text()
    role = _text()
    start_date = IsoDateField("the start of the term")
    end_date = IsoDateField("the end of the term")


class EndMembershipForm(PageForm):
    end_date = IsoDateField("the end of the term")


class BodySizeForm(PageForm):
    size = _text()


class RollCallForm(PageForm):
    body_id = WholeNumberField("the body")
    date = IsoDateField("the date of the vote")
    motion = _text()
    threshold_rule = _text()
    hearing_id = WholeNumberField("the hearing")
    recorded_result = _text()
    body_size = WholeNumberField("the number of seats", typed=True)
    required_yes = WholeNumberField("the yes votes needed", typed=True)
    # Rows added for people who are not listed members: a name and a vote each, in order.
    extra_name = RepeatedTextField()
    extra_value = RepeatedTextField()

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs) -> None:
        super().process(formdata, obj, data, extra_filters, **kwargs)
        # One select per member, named vote-<person id>: which members are listed depends on
        # the body and the day, so these cannot be declared fields.
        posted = self.meta.wrap_formdata(self, formdata)
        self.member_votes: list[tuple[str, str]] = [
            (key.removeprefix("vote-"), value)
            for key, value in (posted.items(multi=True) if posted else [])
            if key.startswith("vote-")
        ]


# --- people and speaker labels -------------------------------------------------------------


class PersonDetailsForm(PageForm):
    name = _text()
    title = _text()
    organization = _text()

    def details(self) -> PersonDetails:
        return PersonDetails(self.name.data, self.title.data, self.organization.data)


class SpeakerNameForm(PersonDetailsForm):
    """Name a speaker label: a person picked from the list, or the details of a new one."""

    person_id = WholeNumberField("the person", message="Pick a person from the list.")
    same_name_ok = BooleanField()


_PICK_TWO = "Pick two of this hearing's speakers to merge."


class MergeSpeakersForm(PageForm):
    source = WholeNumberField("the speaker to merge", message=_PICK_TWO)
    target = WholeNumberField("the speaker to keep", message=_PICK_TWO)


class SegmentSpeakerForm(PageForm):
    # A speaker label's id, or "new" for a label of its own.
    speaker = ChosenTextField(default="")

    def validate_speaker(self, field: ChosenTextField) -> None:
        choice = field.data.strip()
        if choice == "new":
            return
        try:
            record_id(choice)
        except ValueError:
            raise ValidationError("Pick a speaker for the line.") from None

    def speaker_id(self) -> int | None:
        choice = self.speaker.data.strip()
        return None if choice == "new" else int(choice)


# --- publishing and corrections ----------------------------------------------------------


class WithdrawForm(PageForm):
    reason = TextAreaField(default="")


class CheckedForm(PageForm):
    # Blank for the whole hearing.
    start = TimecodeField()
    end = TimecodeField()


class LineForm(PageForm):
    """What every correction of a line sends: the version it was made from, and why."""

    version = WholeNumberField("the line's version")
    reason = _text()


class LineWordsForm(LineForm):
    text = TextAreaField(default="")


class LineLanguageForm(LineForm):
    language = _text()


class LineTimesForm(LineForm):
    start = TimecodeField()
    end = TimecodeField()


class SplitLineForm(LineForm):
    at_word = WholeNumberField("the word to split at")


class MoveLinesForm(PageForm):
    # The lines starting from ``start`` to ``end`` (times in the recording) move.
    start = TimecodeField()
    end = TimecodeField()
    speaker = WholeNumberField("the speaker")
    reason = _text()


class RedactionForm(PageForm):
    start = TimecodeField()
    end = TimecodeField()
    reason = TextAreaField(default="")


class GlossaryTermForm(PageForm):
    term = _text()
    kind = ChosenTextField(default="term")


class RespellForm(PageForm):
    heard = ChosenTextField(default="")
    term = ChosenTextField(default="")


class VoiceConsentForm(PageForm):
    consent = BooleanField(default=False)


class SignupListForm(PageForm):
    """A sign-up list pasted or uploaded, with the matter for rows that name none."""

    text = TextAreaField(default="")
    upload = FileField()
    matter_id = WholeNumberField("the matter")


class SignupDecisionForm(PageForm):
    """The voice a clerk gives a sign-up row: one of the hearing's, or none (the card alone)."""

    speaker_id = WholeNumberField("the voice")


class DocumentForm(PageForm):
    # Type, size and pages are checked where the file is kept (hearings.documents).
    document = FileField()
    kind = ChosenTextField(default="")
    title = _text()
    # On a hearing's form: the matter on its agenda the document is about, if one.
    matter_id = WholeNumberField("the matter")
    # Ticked by default on the page; unticked keeps the document a draft for staff.
    publish = BooleanField(default=False)
