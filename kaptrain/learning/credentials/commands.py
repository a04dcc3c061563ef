"""``flask --app kaptrain keys ...`` and ``flask --app kaptrain credential verify``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from kaptrain.learning.credentials import keys
from kaptrain.learning.credentials.verification import verify_text

keys_cli = AppGroup("keys", help="The credential signing keys.")
credential_cli = AppGroup("credential", help="Check signed credentials.")


@keys_cli.command("generate")
@click.option(
    "--print",
    "print_only",
    is_flag=True,
    help="Print a new key for KAPTRAIN_SIGNING_KEY instead of writing the file.",
)
def keys_generate(print_only: bool) -> None:
    """Create the signing key (instance/signing_key.pem, mode 0600)."""
    try:
        result = keys.generate(print_only=print_only)
    except keys.KeyProblem as error:
        raise click.ClickException(str(error)) from None
    if print_only:
        click.echo(result)
        click.echo(
            "Set KAPTRAIN_SIGNING_KEY to the line above and keep a copy somewhere "
            "safe; it is shown once.",
            err=True,
        )
        return
    click.echo(f"Signing key created: {result}")
    click.echo(
        "Back up the key file now, apart from database backups (see "
        "docs/credentials.md)."
    )


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Retire the current key and sign new credentials with a fresh one."""
    try:
        old, new = keys.rotate()
    except keys.KeyProblem as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Retired {old}: credentials it signed still verify.")
    click.echo(f"New signing key {new}. Back up the new key file.")


@keys_cli.command("retire")
@click.argument("public_key")
def keys_retire(public_key: str) -> None:
    """Mark a public key (z6Mk...) retired: it verifies, never signs again."""
    from kaptrain.extensions import db

    if keys.known_key(public_key) is None:
        raise click.ClickException(
            f"No key {public_key!r}; `flask --app kaptrain keys list` shows them."
        )
    changed = keys.retire(public_key)
    db.session.commit()
    click.echo("Retired." if changed else "That key was already retired.")


@keys_cli.command("list")
def keys_list() -> None:
    """Every public key, with when it was created and retired."""
    rows = keys.all_keys()
    if not rows:
        click.echo(f"No signing keys yet. {keys.GENERATE_HINT}")
        return
    for row in rows:
        state = (
            f"retired {row.retired_at:%Y-%m-%d %H:%M}" if row.retired_at else "current"
        )
        click.echo(
            f"{row.public_key_multibase}  created {row.created_at:%Y-%m-%d %H:%M}  "
            f"{state}"
        )


@credential_cli.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def credential_verify(file: Path) -> None:
    """Verify a credential file offline; the exit status is 0 only if valid."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"Cannot read {file}: {error}") from None
    outcome = verify_text(text)
    click.echo(f"{outcome.status.upper()}: {outcome.message}")
    for change in outcome.changes:
        click.echo(f"  changed: {change}")
    if outcome.certificate is not None:
        click.echo(f"  certificate {outcome.certificate.code}")
    if not outcome.ok:
        raise SystemExit(1)
