"""``flask --app kaptrain create-user``: make an account from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from kaptrain.models import ROLES
from kaptrain.people import accounts


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
