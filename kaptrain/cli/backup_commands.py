"""``flask --app kaptrain backup PATH`` and ``restore PATH``.

SQLite sites use :mod:`kaptrain.platform.backup_sqlite` (the online backup API),
PostgreSQL sites :mod:`kaptrain.platform.backup_postgres` (``pg_dump`` /
``pg_restore``). Both commands print the row count of every table afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from kaptrain.extensions import db
from kaptrain.platform.backup import BackupError
from kaptrain.platform.backup_postgres import check_pg_file, pg_backup, pg_restore
from kaptrain.platform.backup_sqlite import (
    check_sqlite_file,
    sqlite_backup,
    sqlite_path,
    sqlite_restore,
)


def _print_counts(title: str, counts: dict[str, int]) -> None:
    click.echo(title)
    width = max((len(name) for name in counts), default=0)
    for name, count in counts.items():
        click.echo(f"  {name:<{width}}  {count}")
    click.echo(f"  {'total':<{width}}  {sum(counts.values())}")


def _release_app_connections() -> None:
    # The app's own session may hold a transaction (CLI commands begin as writers).
    db.session.remove()
    db.engine.dispose()


@contextmanager
def _database() -> Iterator[URL]:
    url = db.engine.url
    _release_app_connections()
    yield url
    _release_app_connections()


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    """Back up the database to PATH (SQLite file or pg_dump custom format)."""
    if path.exists() and not force:
        raise BackupError(
            f"{path} already exists. Choose a new name, or add --force to replace it."
        )
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    with _database() as url:
        if url.get_backend_name() == "sqlite":
            counts = sqlite_backup(sqlite_path(url), path)
            click.echo("PRAGMA integrity_check on the copy: ok")
        else:
            counts = pg_backup(url, path)
    click.echo(f"Backed up to {path} ({path.stat().st_size} bytes).")
    _print_counts("Rows in the backup:", counts)


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the whole database with the backup at PATH."""
    with _database() as url:
        sqlite = url.get_backend_name() == "sqlite"
        if sqlite:
            check_sqlite_file(path)
        else:
            check_pg_file(path)
        where = url.render_as_string(hide_password=True)
        if not yes:
            click.confirm(
                f"This replaces ALL data in {where} with {path}. Continue?",
                abort=True,
            )
        if sqlite:
            counts = sqlite_restore(path, sqlite_path(url))
            click.echo("PRAGMA integrity_check on the restored database: ok")
        else:
            counts = pg_restore(url, path)
    click.echo(f"Restored {path} into {where}.")
    click.echo(
        "Now start or restart the application servers (kill -HUP the gunicorn "
        "master): workers that ran before the restore keep progress computed "
        "from the old data."
    )
    _print_counts("Rows after the restore:", counts)
