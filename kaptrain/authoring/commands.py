"""``flask --app kaptrain content import|export|history|rollback``.

Added to the ``content`` command group by :func:`add_content_commands`
(``kaptrain/cli/``); ``content check`` stays a pure file check.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from kaptrain.authoring import revisions, transfer
from kaptrain.cli.content_commands import missing_folder
from kaptrain.extensions import db


def _database_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Turn a database failure (no content tables yet, server down) into one
    sentence saying what to do, instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except SQLAlchemyError as error:
            db.session.rollback()
            reason = str(getattr(error, "orig", error)).splitlines()[0]
            raise click.ClickException(
                f"the database cannot be used ({reason}). Run `flask --app "
                "kaptrain db upgrade` if its content tables are missing, and "
                "check KAPTRAIN_DATABASE_URL"
            ) from None

    return wrapper


def _folder_mode_note() -> None:
    if current_app.config.get("CONTENT_SOURCE") == "folder":
        click.echo(
            "Note: KAPTRAIN_CONTENT_SOURCE=folder, so this site serves "
            f"{current_app.config['MODULES_DIR']} directly, not the published "
            "revisions.",
            err=True,
        )


@click.command("import")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite modules last changed in the studio (their web edits are "
    "replaced by the files; they stay in the history).",
)
@click.option("--message", "-m", default="", help="Why (kept with each revision).")
@with_appcontext
@_database_errors
def content_import(directory: Path | None, force: bool, message: str) -> None:
    """Check a modules folder (default: KAPTRAIN_MODULES_DIR) and publish a
    revision of each module whose files changed.

    A module with errors is not published (its previous revision stays): its
    problems are printed as file:line. Exits 0 when every module was published
    or unchanged, 1 otherwise, 2 when the folder does not exist.
    """
    target = directory or Path(current_app.config["MODULES_DIR"])
    if not target.is_dir():
        missing_folder(target, directory, "import")
    report = transfer.import_folder(target, force=force, message=message)
    for problem in report.problems:
        if problem.is_error:
            click.echo(str(problem))
    for line in report.lines():
        click.echo(line)
    warnings = sum(1 for p in report.problems if not p.is_error and not p.strict_only)
    click.echo(
        f"{len(report.published)} published, {len(report.unchanged)} unchanged, "
        f"{len(report.failed) + len(report.refused)} not published"
        + (f" ({warnings} warnings: see content check)" if warnings else "")
    )
    _folder_mode_note()
    if not report.ok:
        sys.exit(1)


@click.command("export")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--module", "module_id", help="Only this module (its id).")
@click.option(
    "--revision", "number", type=click.IntRange(min=1), help="This revision number."
)
@with_appcontext
@_database_errors
def content_export(directory: Path, module_id: str | None, number: int | None) -> None:
    """Write the published modules (or one revision) to DIRECTORY, byte for byte.

    Each module folder written is made to match the revision: files it does not
    have are deleted. Importing the export changes nothing.
    """
    try:
        written = transfer.export_modules(directory, module_id=module_id, number=number)
    except revisions.PublishError as error:
        raise click.ClickException(error.message) from None
    except OSError as error:
        raise click.ClickException(
            f"cannot write to {directory}: {error.strerror or error}"
        ) from None
    if not written:
        click.echo("Nothing is published yet; run `content import` first.")
        return
    for folder in written:
        click.echo(f"wrote {directory / folder}")


@click.command("history")
@click.argument("module_id")
@with_appcontext
@_database_errors
def content_history(module_id: str) -> None:
    """List the revisions of a module, newest first."""
    rows = revisions.history(module_id)
    if not rows:
        raise click.ClickException(
            f"no module {module_id!r} has been published; check the id in its module.md"
        )
    for row in rows:
        mark = "*" if row.published else " "
        restored = f" (restores {row.restored_number})" if row.restored_number else ""
        click.echo(
            f"{mark} {row.number:>3}  {row.created_at:%Y-%m-%d %H:%M} UTC  "
            f"v{row.version:<8} {row.source:<8} {row.author}: "
            f"{row.message}{restored}"
        )
    click.echo("* = published")


@click.command("rollback")
@click.argument("module_id")
@click.argument("number", type=click.IntRange(min=1))
@click.option("--message", "-m", default="", help="Why (kept with the revision).")
@with_appcontext
@_database_errors
def content_rollback(module_id: str, number: int, message: str) -> None:
    """Publish revision NUMBER of a module again, as a new revision."""
    try:
        result = revisions.rollback(module_id, number, None, message)
    except revisions.PublishError as error:
        for line in error.lines()[1:]:
            click.echo(line, err=True)
        raise click.ClickException(error.message) from None
    click.echo(
        f"Published {module_id} revision {result.revision.number} "
        f"(the files of revision {number}, version {result.revision.version})."
    )
    _folder_mode_note()


def add_content_commands(group: AppGroup) -> None:
    """Add import, export, history and rollback to ``flask content``."""
    for command in (content_import, content_export, content_history, content_rollback):
        group.add_command(command)
