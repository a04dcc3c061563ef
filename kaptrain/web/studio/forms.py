"""Forms of the studio (Flask-WTF: CSRF on every post, errors tied to fields)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from kaptrain.models.content import MESSAGE_MAX
from kaptrain.models.studio import NOTE_MAX


class NewModuleForm(FlaskForm):
    module_id = StringField(
        "Module id",
        validators=[
            DataRequired("Give the module an id, for example grief-and-loss."),
            Length(max=63, message="Keep the id to 63 characters."),
        ],
    )
    title = StringField(
        "Title",
        validators=[
            DataRequired("Give the module a title."),
            Length(max=200, message="Keep the title to 200 characters."),
        ],
    )


class SubmitForm(FlaskForm):
    message = TextAreaField(
        "What changed and why",
        validators=[
            DataRequired("Say what changed and why; the reviewer reads it."),
            Length(max=MESSAGE_MAX, message=f"Keep it to {MESSAGE_MAX} characters."),
        ],
        render_kw={"rows": 3},
    )


class ReviewForm(FlaskForm):
    decision = RadioField(
        "Your decision",
        choices=[
            SelectChoice("approve", "Approve: ready to publish"),
            SelectChoice("request_changes", "Request changes"),
            SelectChoice("comment", "Comment only"),
        ],
        validators=[DataRequired("Choose approve, request changes or comment.")],
    )
    body = TextAreaField(
        "Overall comment",
        validators=[Length(max=NOTE_MAX, message=f"Keep it to {NOTE_MAX} characters.")],
        render_kw={"rows": 4},
    )


class PublishForm(FlaskForm):
    version = StringField(
        "Version to publish",
        validators=[DataRequired("Give the version, like 1.2.3.")],
    )
