"""Admin forms for revoking and reinstating certificates."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from kaptrain.models.credentials import REASON_MAX


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason for revoking",
        validators=[
            DataRequired("Say why the certificate is revoked; the trainee is told."),
            Length(
                max=REASON_MAX,
                message=f"Keep the reason to {REASON_MAX} characters or fewer.",
            ),
        ],
        render_kw={"rows": 3},
    )


class ReinstateForm(FlaskForm):
    note = TextAreaField(
        "Why it is valid again (optional)",
        validators=[
            Length(
                max=REASON_MAX,
                message=f"Keep the note to {REASON_MAX} characters or fewer.",
            )
        ],
        render_kw={"rows": 2},
    )
