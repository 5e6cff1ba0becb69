"""Forms (Flask-WTF gives each one its CSRF token)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired()])


class HearingForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    body = StringField("Body", validators=[DataRequired(), Length(max=200)],
                       description="For example “Equal Rights Commission” or “Common Council”.")
    date = DateField("Date of the hearing", validators=[DataRequired()])
    agenda_text = TextAreaField("Agenda matters (optional)", validators=[Length(max=20000)])
    recording = FileField(
        "Recording",
        validators=[FileRequired("Choose the audio or video file of the hearing.")],
        description="mp3, wav, m4a, flac, ogg/opus, webm or mp4; long meetings are fine.",
    )
