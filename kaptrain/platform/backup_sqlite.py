"""SQLite backups through SQLite's online backup API.

A file copy of a live WAL database can miss committed pages or catch a
half-written one; the backup API copies a consistent snapshot while the site
keeps writing, then ``PRAGMA integrity_check`` runs on the copy before it is
moved into place. Restore also goes through the backup API, so open connections
see either the old or the new database, never a mix.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL

from kaptrain.platform.backup import (
    PG_CUSTOM_HEADER,
    SQLITE_HEADER,
    BackupError,
    backup_header,
    check_kaptrain_schema,
    quoted,
    table_names,
)
from kaptrain.platform.files import private_file


def _read_only(path: Path) -> sqlite3.Connection:
    """Open ``path`` read-only. The name is percent-encoded into the URI, so a
    ``?``, ``#`` or ``%`` in it is part of the file name, never a URI option."""
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows per known table in the SQLite file at ``path`` (absent tables skipped)."""
    with closing(_read_only(path)) as conn:
        present = _tables(conn)
        return {
            name: conn.execute(
                f"SELECT count(*) FROM {quoted(name)}"  # noqa: S608 - known names
            ).fetchone()[0]
            for name in table_names()
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


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("The database is in memory; there is nothing to back up.")
    return Path(url.database)


def sqlite_backup(source: Path, target: Path) -> dict[str, int]:
    """Copy ``source`` to ``target`` with the online backup API and check it."""
    if not source.is_file():
        raise BackupError(f"The database file {source} does not exist.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)
    try:
        # A self-contained file: no -wal sidecar to forget when copying it.
        _copy(sqlite3.connect(source), sqlite3.connect(partial), "DELETE")
        _require_intact(partial, "The copy")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return sqlite_counts(target)


def check_sqlite_file(path: Path) -> None:
    """Refuse a missing, foreign or damaged file with a sentence saying which."""
    header = backup_header(path)
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
        tables = _tables(conn)
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    check_kaptrain_schema(path, tables, revision)


def sqlite_restore(backup: Path, target: Path) -> dict[str, int]:
    """Replace the database at ``target`` with ``backup`` via the backup API."""
    check_sqlite_file(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    private_file(target)
    _copy(_read_only(backup), sqlite3.connect(target), "WAL")
    _require_intact(target, "The restored database")
    return sqlite_counts(target)


def _copy(
    source: sqlite3.Connection, target: sqlite3.Connection, journal_mode: str
) -> None:
    """Copy every page of ``source`` into ``target`` and close both.

    Either side may be a live database another process writes to, so both wait
    up to 15 s for a lock; pages=-1 copies everything in one step under one
    read snapshot.
    """
    with closing(source) as src, closing(target) as dst:
        src.execute(f"PRAGMA busy_timeout={15_000}")
        dst.execute(f"PRAGMA busy_timeout={15_000}")
        src.backup(dst, pages=-1)
        dst.execute(f"PRAGMA journal_mode={journal_mode}")


def _require_intact(path: Path, what: str) -> None:
    problem = sqlite_integrity(path)
    if problem != "ok":
        raise BackupError(f"{what} failed its integrity check: {problem}")
