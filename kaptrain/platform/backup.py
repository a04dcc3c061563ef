"""Backups of the whole database, shared by the SQLite and PostgreSQL ways.

``flask --app kaptrain backup PATH`` and ``restore PATH``
(:mod:`kaptrain.cli.backup_commands`) call :mod:`kaptrain.platform.backup_sqlite`
or :mod:`kaptrain.platform.backup_postgres` by the database in use. Both refuse
a file that is not a kaptrain backup of this code's schema
(:func:`check_kaptrain_schema`) before anything is changed, and both print the
row count of every table afterwards.
"""

from __future__ import annotations

from pathlib import Path

import click

from kaptrain.extensions import db
from kaptrain.platform.config import PROJECT_ROOT

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"


class BackupError(click.ClickException):
    """A problem an operator can fix; printed as one line, exit status 1."""


def table_names() -> list[str]:
    return [table.name for table in db.metadata.sorted_tables]


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def backup_header(path: Path) -> bytes:
    """The first bytes of the backup at ``path``; a missing file is refused."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    with path.open("rb") as handle:
        return handle.read(16)


def migration_head() -> str:
    """The newest migration revision of this code (what ``db upgrade`` reaches)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    return heads[0]


def check_kaptrain_schema(path: Path, tables: set[str], revision: str | None) -> None:
    """Refuse a database that is not a kaptrain backup of this code's schema.

    A kaptrain database records its migration in ``alembic_version``; restoring
    anything else would wipe the site's data and leave tables it cannot use.
    """
    missing = sorted(set(table_names()) - tables)
    if revision is None or len(missing) > len(table_names()) // 2:
        lacks = f" and lacks the tables {', '.join(missing[:5])}" if missing else ""
        raise BackupError(
            f"{path} is not a kaptrain backup: it has no kaptrain migration "
            f"record{lacks}. Nothing was changed. Restore a file made by "
            "`flask --app kaptrain backup`."
        )
    head = migration_head()
    if revision != head:
        raise BackupError(
            f"{path} is a kaptrain backup at migration {revision}, but this code "
            f"is at migration {head}. Nothing was changed. Restore it with the "
            "kaptrain release that made it, then upgrade with `flask --app kaptrain "
            "db upgrade`."
        )
    if missing:
        raise BackupError(
            f"{path} claims migration {revision} but lacks the tables "
            f"{', '.join(missing)}. Nothing was changed; the file is not a "
            "complete kaptrain backup."
        )
