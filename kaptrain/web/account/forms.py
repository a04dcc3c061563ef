"""The delete-account form (Flask-WTF, so it carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from kaptrain.people.privacy import CONFIRM_WORD
from kaptrain.web.auth.forms import current_password_field


class DeleteAccountForm(FlaskForm):
    password = current_password_field(
        "Your current password",
        "Enter your current password.",
        too_long="That is not your current password.",
    )
    confirm = StringField(
        f"Type {CONFIRM_WORD} to confirm",
        validators=[
            DataRequired(f"Type {CONFIRM_WORD} in capitals to confirm the deletion."),
            Length(max=40, message=f"Type only the word {CONFIRM_WORD}."),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
