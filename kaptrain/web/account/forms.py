"""The delete-account form (Flask-WTF, so it carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kaptrain.people.passwords import MAX_LENGTH
from kaptrain.people.privacy import CONFIRM_WORD


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Your current password",
        validators=[
            DataRequired("Enter your current password."),
            Length(max=MAX_LENGTH, message="That is not your current password."),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = StringField(
        f"Type {CONFIRM_WORD} to confirm",
        validators=[
            DataRequired(f"Type {CONFIRM_WORD} in capitals to confirm the deletion."),
            Length(max=40, message=f"Type only the word {CONFIRM_WORD}."),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
