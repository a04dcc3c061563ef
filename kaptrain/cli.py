"""Command-line tools: ``flask --app kaptrain <command>``.

create-user, demo, content check/reload, and backup/restore (defined in
``kaptrain/platform/backup.py``, registered here).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import signal
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import (
    ADMIN,
    AUTHOR,
    ROLES,
    SUPERVISOR,
    TRAINEE,
    Cohort,
    CohortMember,
    TotpCredential,
)
from kaptrain.people import accounts, mfa
from kaptrain.people.passwords import password_problem

DEMO_COHORT = "Demo cohort"
DEMO_ACCOUNTS = (
    ("trainee@example.org", "Demo Trainee", (TRAINEE,)),
    ("trainee2@example.org", "Second Demo Trainee", (TRAINEE,)),
    ("supervisor@example.org", "Demo Supervisor", (SUPERVISOR,)),
    ("author@example.org", "Demo Author", (AUTHOR,)),
    ("admin@example.org", "Demo Admin", (ADMIN,)),
)


@click.command("create-user")
@click.option("--email", required=True, help="The person's email address.")
@click.option("--name", required=True, help="Their name as shown on certificates.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="A role; repeat for several.",
)
@click.option(
    "--password",
    envvar="KAPTRAIN_NEW_PASSWORD",
    help="The password (or set KAPTRAIN_NEW_PASSWORD); prompted for when omitted.",
)
@with_appcontext
def create_user_command(
    email: str, name: str, roles: tuple[str, ...], password: str | None
) -> None:
    """Create an account with the given roles."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(email, name, password, roles)
    except accounts.AccountError as error:
        raise click.ClickException(f"{error.field}: {error.message}") from None
    click.echo(f"Created {user.email} with roles {', '.join(sorted(user.roles))}.")


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


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo cohort and accounts (safe to run again).

    The staff accounts are enrolled in two-step sign-in with one authenticator
    key, printed (or KAPTRAIN_DEMO_TOTP_SECRET)."""
    password = os.environ.get("KAPTRAIN_DEMO_PASSWORD") or None
    if password:
        problem = password_problem(password)
        if problem:
            raise click.ClickException(f"KAPTRAIN_DEMO_PASSWORD is too weak: {problem}")
    generated = password is None
    password = password or "-".join(secrets.token_hex(3) for _ in range(4))
    totp_secret = _demo_totp_secret()
    totp_generated = totp_secret is None
    totp_secret = totp_secret or mfa.new_secret()

    cohort = db.session.execute(
        select(Cohort).where(Cohort.name == DEMO_COHORT)
    ).scalar_one_or_none()
    if cohort is None:
        cohort = Cohort(name=DEMO_COHORT, invite_code=accounts.new_invite_code())
        db.session.add(cohort)
        db.session.commit()

    created: list[str] = []
    enrolled: list[str] = []
    for email, name, roles in DEMO_ACCOUNTS:
        user = accounts.find_user(email)
        if user is None:
            user = accounts.create_user(
                email, name, password, roles, check_policy=False
            )
            created.append(email)
        elif not generated:
            # An explicit demo password is the source of truth: keep accounts in step.
            user.password_hash = accounts.hash_password(password)
        if TRAINEE in roles and not any(
            m.cohort_id == cohort.id for m in user.memberships
        ):
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
        if SUPERVISOR in roles and user not in cohort.supervisors:
            cohort.supervisors.append(user)
        if mfa.is_staff(user):
            # Staff need two-step sign-in: enrol them with one printed secret, so
            # a newcomer can sign in as the supervisor in two minutes.
            credential = db.session.get(TotpCredential, user.id)
            if credential is None:
                db.session.add(TotpCredential(user_id=user.id, secret=totp_secret))
                enrolled.append(email)
            elif not totp_generated and credential.secret != totp_secret:
                credential.secret, credential.last_step = totp_secret, None
    db.session.commit()

    click.echo(f"Demo cohort: {cohort.name} (invite code {cohort.invite_code})")
    for email, _name, roles in DEMO_ACCOUNTS:
        click.echo(f"  {email:<26} {', '.join(roles)}")
    if created and generated:
        click.echo(f"Password for the new demo accounts: {password}")
        click.echo("(shown once; set KAPTRAIN_DEMO_PASSWORD to choose your own)")
    elif not created:
        click.echo("The demo accounts already existed; nothing was created.")
        if generated:
            click.echo(
                "Their password was printed when they were made. To set a new one, "
                "run again with KAPTRAIN_DEMO_PASSWORD set."
            )
    if enrolled or not totp_generated:
        click.echo(
            f"Two-step sign-in for the staff accounts: authenticator key {totp_secret}"
        )
        click.echo(
            "  After the password, enter the code from any authenticator app given "
            f"that key, or from: oathtool --totp -b {totp_secret}"
        )
    else:
        click.echo(
            "The staff accounts' authenticator key was printed when they were "
            "enrolled; set KAPTRAIN_DEMO_TOTP_SECRET to choose a new one."
        )


content_cli = AppGroup("content", help="Check and reload course content.")


@content_cli.command("check")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Output format.",
)
def content_check(directory: Path | None, strict: bool, fmt: str) -> None:
    """Check a modules folder (default: KAPTRAIN_MODULES_DIR) and list problems.

    Exits 0 when clean, 1 on errors (or warnings with --strict), 2 when the
    folder does not exist.
    """
    from kaptrain.content.check import run_check

    target = directory or Path(current_app.config["MODULES_DIR"])
    if not target.is_dir() and fmt == "text":
        source = "" if directory else " (KAPTRAIN_MODULES_DIR)"
        click.echo(
            f"{target}{source}: no such folder. Pass the folder that holds the "
            "modules, for example: flask --app kaptrain content check modules",
            err=True,
        )
        sys.exit(2)
    sys.exit(run_check(target, strict=strict, fmt=fmt, out=sys.stdout))  # type: ignore[arg-type]


@content_cli.command("reload")
@click.option(
    "--pidfile",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The server's pid file (default: instance/gunicorn.pid).",
)
def content_reload(pidfile: Path | None) -> None:
    """Rebuild the catalog, record versions, and tell a running server to reload."""
    from kaptrain.learning.course import content_state, record_module_versions

    state = content_state()
    catalog = state.reload()
    if state.error:
        click.echo(f"Error: {state.error}.", err=True)
        sys.exit(1)
    record_module_versions(catalog)
    served, left_out = len(catalog.modules), len(catalog.broken)
    click.echo(
        f"{served} module{'' if served == 1 else 's'} served, {left_out} left out "
        f"with errors ({state.rendered} rendered in {state.build_seconds:.2f} s)."
    )
    for broken in catalog.broken:
        errors = [p for p in broken.problems if p.is_error]
        click.echo(f"  left out: {broken.name}: {errors[0] if errors else ''}")
    _signal_server(pidfile or Path(current_app.instance_path) / "gunicorn.pid")


def _signal_server(pidfile: Path) -> None:
    """SIGHUP the gunicorn master: it starts fresh workers, which load the files."""
    if not pidfile.exists():
        click.echo(f"No running server found ({pidfile}); restart it to load.")
        return
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (ValueError, OSError) as error:
        click.echo(f"Could not signal the server in {pidfile}: {error}", err=True)
        sys.exit(1)
    click.echo(f"Told the server (pid {pid}) to reload its workers.")


mail_cli = AppGroup("mail", help="The outgoing mail queue.")


@mail_cli.command("send")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def mail_send(once: bool) -> None:
    """Deliver queued mail; without --once, keep running and deliver as it comes."""
    import time

    from kaptrain.platform.mail import deliver_due, seconds_until_next_due

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    while True:
        report = deliver_due(app)
        if once:
            click.echo(f"Sent {report.sent} message(s).")
            if report.failed:
                click.echo(
                    f"{report.failed} message(s) could not be sent; they are "
                    "retried later (the log says why).",
                    err=True,
                )
                sys.exit(1)
            return
        if report.sent or report.failed:
            click.echo(f"Sent {report.sent} message(s); {report.failed} failed.")
        remaining = seconds_until_next_due()
        time.sleep(5.0 if remaining is None else min(max(remaining, 0.5), 5.0))


def register(app: Flask) -> None:
    from kaptrain.platform.backup import backup_command, restore_command

    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(content_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    from kaptrain.xapi.cli import xapi_cli

    app.cli.add_command(xapi_cli)
