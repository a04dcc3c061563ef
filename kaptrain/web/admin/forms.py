"""Admin forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from kaptrain.models import EMAIL_MAX, NAME_MAX, ROLES
from kaptrain.web.auth.forms import email_address

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(FlaskForm):
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES)


class CreateUserForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Enter a name."), Length(max=NAME_MAX)],
    )
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter an email address."),
            Length(max=EMAIL_MAX),
            email_address("Enter an email address, like name@example.org."),
        ],
    )
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES, default=["trainee"])


class AssignCohortForm(FlaskForm):
    cohort = SelectField(
        "Cohort",
        coerce=int,
        validate_choice=True,
        validators=[DataRequired("Choose a cohort.")],
    )
