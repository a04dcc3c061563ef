"""Forms for signing in, registering and passwords (Flask-WTF, CSRF on all)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from kaptrain.models import EMAIL_MAX, NAME_MAX
from kaptrain.people.passwords import MAX_LENGTH

EMAIL_HELP = "Enter your email address, like name@example.org."
# Deliberately loose (one @, a dotted domain, no spaces): whether an address
# works is proved by the mail sent to it, so no DNS check and no dependency.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"


def email_address(message: str = EMAIL_HELP) -> Regexp:
    """A validator for the shape of an email address."""
    return Regexp(EMAIL_PATTERN, message=message)


def email_field() -> EmailField:
    """A required, checked e-mail address (registration, forgotten password)."""
    return EmailField(
        "Email address",
        validators=[
            DataRequired(EMAIL_HELP),
            Length(max=EMAIL_MAX, message=f"Use at most {EMAIL_MAX} characters."),
            email_address(),
        ],
        render_kw={"autocomplete": "email"},
    )


def current_password_field(
    label: str, missing: str, too_long: str | None = None, *, limited: bool = True
) -> PasswordField:
    """A password the person already has (sign-in, confirming a change).

    ``limited`` caps its length at MAX_LENGTH (``too_long`` is the message then;
    WTForms' own when None).
    """
    validators: list[Any] = [DataRequired(missing)]
    if limited:
        validators.append(Length(max=MAX_LENGTH, message=too_long))
    return PasswordField(
        label, validators=validators, render_kw={"autocomplete": "current-password"}
    )


def new_password_field(label: str, missing: str) -> PasswordField:
    """A password being chosen; the password policy is checked by the service."""
    return PasswordField(
        label,
        validators=[DataRequired(missing)],
        render_kw={"autocomplete": "new-password"},
    )


def repeat_password_field(label: str, missing: str) -> PasswordField:
    """The chosen password typed again; must equal the form's ``password``."""
    return PasswordField(
        label,
        validators=[
            DataRequired(missing),
            EqualTo("password", "The two passwords do not match."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired(EMAIL_HELP), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "username"},
    )
    password = current_password_field("Password", "Enter your password.")
    remember = BooleanField("Keep me signed in on this device for 7 days")


class RegisterForm(FlaskForm):
    invite_code = StringField(
        "Invite code",
        validators=[
            DataRequired("Enter the invite code your supervisor gave you."),
            Length(max=40, message="An invite code is at most 40 characters."),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(
        "Your name, as it should appear on certificates",
        validators=[
            DataRequired("Enter your name."),
            Length(max=NAME_MAX, message=f"Use at most {NAME_MAX} characters."),
        ],
        render_kw={"autocomplete": "name"},
    )
    email = email_field()


class RegisterPasswordForm(FlaskForm):
    """Step two of registering: the password, chosen from the e-mailed link."""

    password = new_password_field(
        "Password (at least 8 characters; a few unrelated words work well)",
        "Choose a password.",
    )
    confirm = repeat_password_field("Repeat the password", "Repeat the password.")


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class PasswordResetForm(FlaskForm):
    """A new password, typed twice (reset links; the change form adds the current)."""

    password = new_password_field("New password", "Choose a new password.")
    confirm = repeat_password_field(
        "Repeat the new password", "Repeat the new password."
    )


class PasswordChangeForm(PasswordResetForm):
    current = current_password_field(
        "Current password", "Enter your current password.", limited=False
    )


class ConfirmForm(FlaskForm):
    """A form with only a CSRF token, for POST buttons such as sign out."""


CODE_LABEL = "6-digit code from your authenticator app, or a recovery code"


def code_field(label: str = CODE_LABEL, required: bool = True) -> StringField:
    validators = [Length(max=40, message="A code is 6 digits; a recovery code 16.")]
    if required:
        validators.insert(0, DataRequired("Enter the code from your app."))
    return StringField(
        label,
        validators=validators,
        render_kw={
            "autocomplete": "one-time-code",
            "spellcheck": "false",
            "autocapitalize": "characters",
        },
    )


class CodeForm(FlaskForm):
    """The second sign-in step: a TOTP code or a recovery code."""

    code = code_field()


class EnrolForm(FlaskForm):
    code = StringField(
        "6-digit code your app shows now",
        validators=[
            DataRequired("Enter the 6-digit code your app shows."),
            Length(max=12, message="Enter the 6 digits your app shows."),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ReauthForm(FlaskForm):
    """Confirm it is still you before a sensitive change."""

    password = current_password_field(
        "Your password",
        "Enter your password.",
        too_long="That is not your password. Try again.",
    )
    code = code_field(required=False)
