"""Supervisors' forms (Flask-WTF, so every POST carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from kaptrain.models import COMMENT_MAX, EMAIL_MAX, NAME_MAX


class CohortForm(FlaskForm):
    name = StringField(
        "Cohort name",
        validators=[
            DataRequired("Enter a name for the cohort."),
            Length(max=NAME_MAX, message=f"Use at most {NAME_MAX} characters."),
        ],
    )


class AddMemberForm(FlaskForm):
    email = EmailField(
        "Trainee's email address",
        validators=[
            DataRequired("Enter the trainee's email address."),
            Length(max=EMAIL_MAX, message="That is too long for an email address."),
        ],
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        "Your comment",
        validators=[
            DataRequired("Write a comment before sending it."),
            Length(
                max=COMMENT_MAX,
                message=f"A comment is at most {COMMENT_MAX:,} characters; "
                "shorten it and send it again.",
            ),
        ],
    )


class ConfirmForm(FlaskForm):
    """An empty form: a POST button that only needs its CSRF token."""
