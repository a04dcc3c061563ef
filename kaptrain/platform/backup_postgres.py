"""PostgreSQL backups with ``pg_dump`` and ``pg_restore``.

``pg_dump --format=custom`` and ``pg_restore --clean --if-exists`` in one
transaction. The dump runs on a snapshot exported from the transaction that
counts the rows, so the counts printed are exactly what the file holds. The
password travels in ``PGPASSWORD``, never on the command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # noqa: S404 - runs pg_dump/pg_restore with argument lists
from pathlib import Path

from sqlalchemy import create_engine, text
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
            text(f"SELECT count(*) FROM {quoted(name)}")  # noqa: S608 - known names
        ).scalar_one()
        for name in table_names()
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
    """Refuse a missing, foreign or damaged dump with a sentence saying which."""
    header = backup_header(path)
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
