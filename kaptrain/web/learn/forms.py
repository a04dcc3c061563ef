"""Forms for journal entries (Flask-WTF; quiz, vignette and evaluation forms are
built from content, so their views read ``request.form`` and validate in services)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from kaptrain.models import JOURNAL_MAX


def _length_limit(_form: Any, field: Any) -> None:
    length = len(field.data or "")
    if length > JOURNAL_MAX:
        raise ValidationError(
            f"Shorten your entry to {JOURNAL_MAX:,} characters or fewer "
            f"(it has {length:,}); your text is still here."
        )


class JournalEntryForm(FlaskForm):
    module_id = SelectField(
        "Module", validators=[DataRequired("Choose the module this entry is about.")]
    )
    body = TextAreaField(
        "Your reflection",
        validators=[DataRequired("Write something before saving."), _length_limit],
        render_kw={"rows": 10},
    )
    shared = BooleanField("Share this entry with my supervisor")


class JournalEditForm(FlaskForm):
    body = TextAreaField(
        "Your reflection",
        validators=[DataRequired("Write something before saving."), _length_limit],
        render_kw={"rows": 10},
    )
    shared = BooleanField("Share this entry with my supervisor")
