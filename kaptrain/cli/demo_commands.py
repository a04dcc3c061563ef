"""``flask --app kaptrain demo``: the demo cohort and accounts, safe to run again.

The staff accounts are enrolled in two-step sign-in with one authenticator key,
printed (or KAPTRAIN_DEMO_TOTP_SECRET), so a newcomer can sign in as the
supervisor in two minutes.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from dataclasses import dataclass, field

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import (
    ADMIN,
    AUTHOR,
    SUPERVISOR,
    TRAINEE,
    Cohort,
    CohortMember,
    TotpCredential,
    User,
)
from kaptrain.people import accounts, mfa, one_time_codes
from kaptrain.people.passwords import password_problem

DEMO_COHORT = "Demo cohort"
DEMO_ACCOUNTS = (
    ("trainee@example.org", "Demo Trainee", (TRAINEE,)),
    ("trainee2@example.org", "Second Demo Trainee", (TRAINEE,)),
    ("supervisor@example.org", "Demo Supervisor", (SUPERVISOR,)),
    ("author@example.org", "Demo Author", (AUTHOR,)),
    ("admin@example.org", "Demo Admin", (ADMIN,)),
)


@dataclass
class DemoSecrets:
    """The demo password and authenticator key, and whether we made them up."""

    password: str
    generated: bool
    totp_secret: str
    totp_generated: bool
    created: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)


def _demo_totp_secret() -> str | None:
    """KAPTRAIN_DEMO_TOTP_SECRET, checked: base32, at least 16 characters."""
    raw = os.environ.get("KAPTRAIN_DEMO_TOTP_SECRET") or ""
    secret = "".join(raw.split()).upper()
    if not secret:
        return None
    try:
        base64.b32decode(secret + "=" * (-len(secret) % 8))
    except binascii.Error:
        secret = ""
    if len(secret) < 16:
        raise click.ClickException(
            "KAPTRAIN_DEMO_TOTP_SECRET must be a base32 key (letters A-Z, digits "
            "2-7) of at least 16 characters, e.g. from `python -c 'import pyotp; "
            "print(pyotp.random_base32())'`."
        )
    return secret


def _demo_secrets() -> DemoSecrets:
    """KAPTRAIN_DEMO_PASSWORD and KAPTRAIN_DEMO_TOTP_SECRET, checked, or new ones."""
    password = os.environ.get("KAPTRAIN_DEMO_PASSWORD") or None
    if password:
        problem = password_problem(password)
        if problem:
            raise click.ClickException(f"KAPTRAIN_DEMO_PASSWORD is too weak: {problem}")
    totp_secret = _demo_totp_secret()
    return DemoSecrets(
        password=password or "-".join(secrets.token_hex(3) for _ in range(4)),
        generated=password is None,
        totp_secret=totp_secret or one_time_codes.new_secret(),
        totp_generated=totp_secret is None,
    )


def _demo_cohort() -> Cohort:
    cohort = db.session.execute(
        select(Cohort).where(Cohort.name == DEMO_COHORT)
    ).scalar_one_or_none()
    if cohort is None:
        cohort = Cohort(name=DEMO_COHORT, invite_code=accounts.new_invite_code())
        db.session.add(cohort)
        db.session.commit()
    return cohort


def _demo_account(
    cohort: Cohort, email: str, name: str, roles: tuple[str, ...], demo: DemoSecrets
) -> None:
    """Create or bring in step one demo account: password, cohort, two-step key."""
    user = accounts.find_user(email)
    if user is None:
        user = accounts.create_user(
            email, name, demo.password, roles, check_policy=False
        )
        demo.created.append(email)
    elif not demo.generated:
        # An explicit demo password is the source of truth: keep accounts in step.
        user.password_hash = accounts.hash_password(demo.password)
    if TRAINEE in roles and not any(m.cohort_id == cohort.id for m in user.memberships):
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
    if SUPERVISOR in roles and user not in cohort.supervisors:
        cohort.supervisors.append(user)
    if mfa.is_staff(user):
        _enrol_demo_staff(user, demo)


def _enrol_demo_staff(user: User, demo: DemoSecrets) -> None:
    # Staff need two-step sign-in: enrol them with one printed secret, so
    # a newcomer can sign in as the supervisor in two minutes.
    credential = db.session.get(TotpCredential, user.id)
    if credential is None:
        db.session.add(TotpCredential(user_id=user.id, secret=demo.totp_secret))
        demo.enrolled.append(user.email)
    elif not demo.totp_generated and credential.secret != demo.totp_secret:
        credential.secret, credential.last_step = demo.totp_secret, None


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo cohort and accounts (safe to run again).

    The staff accounts are enrolled in two-step sign-in with one authenticator
    key, printed (or KAPTRAIN_DEMO_TOTP_SECRET)."""
    demo = _demo_secrets()
    cohort = _demo_cohort()
    for email, name, roles in DEMO_ACCOUNTS:
        _demo_account(cohort, email, name, roles, demo)
    db.session.commit()
    _import_modules_once()
    from kaptrain.learning.demo_records import demo_certificate

    certificate_lines = demo_certificate("trainee2@example.org")
    _demo_module_in_progress()

    click.echo(f"Demo cohort: {cohort.name} (invite code {cohort.invite_code})")
    for email, _name, roles in DEMO_ACCOUNTS:
        click.echo(f"  {email:<26} {', '.join(roles)}")
    for line in certificate_lines:
        click.echo(line)
    _echo_demo_password(demo)
    _echo_demo_key(demo)


def _demo_module_in_progress() -> None:
    """Put trainee@example.org part-way through a module (learning.demo_progress)."""
    from kaptrain.learning.course import current_catalog
    from kaptrain.learning.demo_progress import start_demo_module

    trainee = accounts.find_user("trainee@example.org")
    module = start_demo_module(trainee, current_catalog()) if trainee else None
    if module is not None:
        click.echo(f"trainee@example.org is part-way through “{module.title}”.")


def _import_modules_once() -> None:
    """On a first run (nothing published yet), publish KAPTRAIN_MODULES_DIR."""
    from kaptrain.authoring.transfer import import_on_first_run

    for line in import_on_first_run():
        click.echo(line)


def _echo_demo_password(demo: DemoSecrets) -> None:
    if demo.created and demo.generated:
        click.echo(f"Password for the new demo accounts: {demo.password}")
        click.echo("(shown once; set KAPTRAIN_DEMO_PASSWORD to choose your own)")
    elif not demo.created:
        click.echo("The demo accounts already existed; nothing was created.")
        if demo.generated:
            click.echo(
                "Their password was printed when they were made. To set a new one, "
                "run again with KAPTRAIN_DEMO_PASSWORD set."
            )


def _echo_demo_key(demo: DemoSecrets) -> None:
    if demo.enrolled or not demo.totp_generated:
        click.echo(
            "Two-step sign-in for the staff accounts: authenticator key "
            f"{demo.totp_secret}"
        )
        click.echo(
            "  After the password, enter the code from any authenticator app given "
            f"that key, or from: oathtool --totp -b {demo.totp_secret}"
        )
    else:
        click.echo(
            "The staff accounts' authenticator key was printed when they were "
            "enrolled; set KAPTRAIN_DEMO_TOTP_SECRET to choose a new one."
        )
