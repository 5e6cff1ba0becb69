"""Forms (Flask-WTF gives each one its CSRF token)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this computer for 30 days")


class SpeakerSettingsForm(FlaskForm):
    """What the clerk knows about who spoke; every field may stay empty."""

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
