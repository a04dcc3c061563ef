"""Registering with a cohort's invite code, in two steps, without revealing who
has an account.

Step one (the form: code, name, address) answers the same for every address;
:func:`send_registration_mail` then tells the address what happens next. Step
two is the e-mailed link (signed, expiring), where a new person chooses a
password and the account is made. Services own the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import TRAINEE, Cohort, User
from kaptrain.people.accounts import (
    AccountError,
    _validate_profile,
    create_user,
    find_user,
    normalise_invite,
)
from kaptrain.people.membership import invite_self, joined_by_code
from kaptrain.platform.mail import send_template
from kaptrain.platform.urls import absolute_url

REGISTER_LINK_HOURS = 48
_REGISTER_SALT = "kaptrain-register"


def _invite_cohort(code: str) -> Cohort:
    cohort = db.session.execute(
        select(Cohort).where(Cohort.invite_code == normalise_invite(code))
    ).scalar_one_or_none()
    if cohort is None:
        raise AccountError(
            "invite_code",
            "That invite code is not valid. Check it with your supervisor; codes can "
            "be replaced, so ask for the current one.",
        )
    return cohort


def _register_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_REGISTER_SALT)


def check_registration(code: str, name: str, email: str) -> tuple[Cohort, str, str]:
    """Step one of registering, the part the form answers: a valid invite code,
    a name and an address. Returns (cohort, address, name); AccountError else."""
    cohort = _invite_cohort(code)
    email, name = _validate_profile(email, name)
    return cohort, email, name


def send_registration_mail(cohort_id: int, email: str, name: str) -> None:
    """Step one's e-mail, whose content depends on whether the address has an
    account (the form's answer never does; the view runs this once it has
    answered, so not even the time to answer differs).

    A new address gets a link to choose a password (step two,
    :func:`complete_registration`); an existing account's owner is told someone
    tried, and a trainee finds an invitation to the cohort on their home page.
    """
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        return
    existing = find_user(email)
    if existing is None:
        token = _register_serializer().dumps({"c": cohort.id, "e": email, "n": name})
        send_template(
            email,
            "Finish creating your kaptrain account",
            "register_confirm",
            name=name,
            cohort=cohort.name,
            hours=REGISTER_LINK_HOURS,
            confirm_url=absolute_url("auth.register_confirm", token=token),
        )
    elif existing.active:
        invited = False
        if existing.has_role(TRAINEE):
            invited = invite_self(existing, cohort)
        send_template(
            existing.email,
            "You already have a kaptrain account",
            "register_existing",
            name=existing.name,
            cohort=cohort.name,
            invited=invited,
            login_url=absolute_url("auth.login"),
        )
    db.session.commit()


@dataclass(frozen=True)
class PendingRegistration:
    cohort: Cohort
    email: str
    name: str


def pending_registration(token: str) -> PendingRegistration | None:
    """What a step-two link registers, or None if it is bad, expired or used."""
    if not token or len(token) > 1000:
        return None
    try:
        data = _register_serializer().loads(token, max_age=REGISTER_LINK_HOURS * 3600)
        cohort_id, email, name = int(data["c"]), str(data["e"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or find_user(email) is not None:
        return None  # the cohort is gone, or the link was used already
    return PendingRegistration(cohort, email, name)


def complete_registration(token: str, password: str) -> User:
    """Step two: create the trainee in the cohort with the chosen password."""
    pending = pending_registration(token)
    if pending is None:
        raise AccountError("password", REGISTER_LINK_GONE)
    try:
        user = create_user(
            pending.email, pending.name, password, (TRAINEE,), cohort=pending.cohort
        )
    except AccountError as error:
        if error.field == "email":  # a double submission created it a moment ago
            raise AccountError("password", REGISTER_LINK_GONE) from None
        raise
    joined_by_code(user, pending.cohort)
    db.session.commit()
    return user


REGISTER_LINK_GONE = (
    "This link has expired or was already used. Sign in, or register again with "
    "the invite code to get a new link."
)
