"""``flask --app kaptrain backup PATH`` and ``restore PATH``.

SQLite: SQLite's online backup API copies a consistent snapshot while the site
keeps writing (a file copy of a live WAL database can miss committed pages or
catch a half-written one), then ``PRAGMA integrity_check`` runs on the copy
before it is moved into place. Restore also goes through the backup API, so
open connections see either the old or the new database, never a mix.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists`` in
one transaction. The dump runs on a snapshot exported from the transaction
that counts the rows, so the counts printed are exactly what the file holds.
The password travels in ``PGPASSWORD``, never on the command line.

Both commands print the row count of every table afterwards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump/pg_restore with argument lists
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from kaptrain.extensions import db
from kaptrain.platform.config import PROJECT_ROOT
from kaptrain.platform.files import private_file

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"


class BackupError(click.ClickException):
    """A problem an operator can fix; printed as one line, exit status 1."""


def _table_names() -> list[str]:
    return [table.name for table in db.metadata.sorted_tables]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` read-only. The name is percent-encoded into the URI, so a
    ``?``, ``#`` or ``%`` in it is part of the file name, never a URI option."""
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows per known table in the SQLite file at ``path`` (absent tables skipped)."""
    with closing(_read_only(path)) as conn:
        present = {
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        return {
            name: conn.execute(
                f"SELECT count(*) FROM {_quoted(name)}"  # noqa: S608 - known names
            ).fetchone()[0]
            for name in _table_names()
            if name in present
        }


def sqlite_integrity(path: Path) -> str:
    """``ok``, or SQLite's description of what is wrong with the file."""
    try:
        with closing(_read_only(path)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as error:
        return str(error)
    return "; ".join(str(row[0]) for row in rows)


def _print_counts(title: str, counts: dict[str, int]) -> None:
    click.echo(title)
    width = max((len(name) for name in counts), default=0)
    for name, count in counts.items():
        click.echo(f"  {name:<{width}}  {count}")
    click.echo(f"  {'total':<{width}}  {sum(counts.values())}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("The database is in memory; there is nothing to back up.")
    return Path(url.database)


def _release_app_connections() -> None:
    # The app's own session may hold a transaction (CLI commands begin as writers).
    db.session.remove()
    db.engine.dispose()


def sqlite_backup(source: Path, target: Path) -> dict[str, int]:
    """Copy ``source`` to ``target`` with the online backup API and check it."""
    if not source.is_file():
        raise BackupError(f"The database file {source} does not exist.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)
    try:
        with (
            closing(sqlite3.connect(source)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.execute(f"PRAGMA busy_timeout={15_000}")
            # pages=-1 copies everything in one step under one read snapshot.
            src.backup(dst, pages=-1)
            # A self-contained file: no -wal sidecar to forget when copying it.
            dst.execute("PRAGMA journal_mode=DELETE")
        problem = sqlite_integrity(partial)
        if problem != "ok":
            raise BackupError(f"The copy failed its integrity check: {problem}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return sqlite_counts(target)


def check_sqlite_file(path: Path) -> None:
    """Refuse a missing, foreign or damaged file with a sentence saying which."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    with path.open("rb") as handle:
        header = handle.read(16)
    if header.startswith(PG_CUSTOM_HEADER):
        raise BackupError(
            f"{path} is a PostgreSQL dump, but this site uses SQLite. "
            "Restore it into a PostgreSQL database instead."
        )
    if header != SQLITE_HEADER:
        raise BackupError(f"{path} is not a SQLite database (damaged or wrong file).")
    problem = sqlite_integrity(path)
    if problem != "ok":
        raise BackupError(f"{path} is damaged: {problem}")
    with closing(_read_only(path)) as conn:
        tables = {
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    check_kaptrain_schema(path, tables, revision)


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
    missing = sorted(set(_table_names()) - tables)
    if revision is None or len(missing) > len(_table_names()) // 2:
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


def sqlite_restore(backup: Path, target: Path) -> dict[str, int]:
    """Replace the database at ``target`` with ``backup`` via the backup API."""
    check_sqlite_file(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    private_file(target)
    with (
        closing(_read_only(backup)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        dst.execute(f"PRAGMA busy_timeout={15_000}")
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=WAL")
    problem = sqlite_integrity(target)
    if problem != "ok":
        raise BackupError(
            f"The restored database failed its integrity check: {problem}"
        )
    return sqlite_counts(target)


# ---------------------------------------------------------------- PostgreSQL


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools "
            "(on Debian and Ubuntu: apt-get install postgresql-client), using the "
            "same major version as the server or newer."
        )
    return path


def _pg_connection(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and an environment that carries it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_counts(conn: object) -> dict[str, int]:
    present = {
        row[0]
        for row in conn.execute(  # type: ignore[attr-defined]
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        )
    }
    return {
        name: conn.execute(  # type: ignore[attr-defined]
            text(f"SELECT count(*) FROM {_quoted(name)}")  # noqa: S608 - known names
        ).scalar_one()
        for name in _table_names()
        if name in present
    }


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    """Run a PostgreSQL client tool; its standard output, or a BackupError."""
    result = subprocess.run(  # noqa: S603 - fixed tool, argument list, no shell
        args, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {' '.join(detail[-3:]) or 'no message'}")
    return result.stdout


def pg_backup(url: URL, target: Path) -> dict[str, int]:
    """Dump to ``target`` in custom format; counts come from the dump's snapshot."""
    pg_dump = _pg_tool("pg_dump")
    uri, env = _pg_connection(url)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)  # pg_dump writes into it and keeps its mode
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts = _pg_counts(conn)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    f"--dbname={uri}",
                ],
                env,
                "pg_dump",
            )
            conn.rollback()
        partial.replace(target)
    finally:
        engine.dispose()
        partial.unlink(missing_ok=True)
    return counts


def check_pg_file(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    with path.open("rb") as handle:
        header = handle.read(16)
    if header == SQLITE_HEADER:
        raise BackupError(
            f"{path} is a SQLite database, but this site uses PostgreSQL. "
            "Restore it into a SQLite site instead."
        )
    if not header.startswith(PG_CUSTOM_HEADER):
        raise BackupError(
            f"{path} is not a pg_dump custom-format file (damaged or wrong file)."
        )
    listing = _run(
        [_pg_tool("pg_restore"), "--list", str(path)], dict(os.environ), "Reading"
    )
    # "215; 1259 16386 TABLE public users postgres": the table name is field 6.
    tables = set()
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 6 and not line.startswith(";") and fields[3] == "TABLE":
            tables.add(fields[5])
    if not tables:
        raise BackupError(
            f"Reading {path} failed: pg_restore lists no tables in it (a damaged "
            "or empty dump). Nothing was changed."
        )
    revision = None
    if "alembic_version" in tables:
        data = _run(
            [
                _pg_tool("pg_restore"),
                "--data-only",
                "--table=alembic_version",
                "--file=-",
                str(path),
            ],
            dict(os.environ),
            "Reading",
        )
        rows = data.split("FROM stdin;\n", 1)[1:]
        if rows and not rows[0].startswith("\\."):
            revision = rows[0].splitlines()[0].strip()
    check_kaptrain_schema(path, tables, revision)


def pg_restore(url: URL, backup: Path) -> dict[str, int]:
    """Replace the database's tables with the dump, in one transaction."""
    check_pg_file(backup)
    uri, env = _pg_connection(url)
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={uri}",
            str(backup),
        ],
        env,
        "pg_restore",
    )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return _pg_counts(conn)
    finally:
        engine.dispose()


# ------------------------------------------------------------------ commands


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
            counts = sqlite_backup(_sqlite_path(url), path)
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
            counts = sqlite_restore(path, _sqlite_path(url))
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
