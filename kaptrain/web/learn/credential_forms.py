"""The "Verify a credential" form: paste the JSON or upload the file."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length

from kaptrain.learning.credentials.verification import MAX_TEXT


class VerifyCredentialForm(FlaskForm):
    credential = TextAreaField(
        "Paste the credential (JSON)",
        validators=[
            Length(
                max=MAX_TEXT,
                message="This is longer than any credential (64 KB at most); "
                "paste the credential file as downloaded.",
            )
        ],
        render_kw={"rows": 12, "spellcheck": "false", "autocomplete": "off"},
    )
    upload = FileField(
        "Or upload the credential file (.json)",
        render_kw={"accept": ".json,application/json,application/ld+json"},
    )
