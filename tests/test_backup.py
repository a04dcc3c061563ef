"""Backup and restore commands, and the restore drill on both engines.

The SQLite tests build their own SQLite app, so they run in both suites; the
PostgreSQL drill runs when ``KAPTRAIN_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import stamp
from sqlalchemy import text

from kaptrain import create_app
from kaptrain.extensions import db
from kaptrain.models import Cohort, CohortMember, ItemProgress, User, UserRole
from kaptrain.platform.backup import migration_head
from kaptrain.platform.backup_sqlite import sqlite_counts, sqlite_integrity
from tests.support.database import PG_URL, pg_admin_engine
from tests.support.settings import base_config

pytestmark = pytest.mark.content(None)


def _sqlite_app(path: Path, modules: Path) -> Flask:
    modules.mkdir(exist_ok=True)
    app = create_app(base_config(f"sqlite:///{path}", MODULES_DIR=modules))
    with app.app_context():
        db.create_all()
    _stamp_head(app)
    return app


def _stamp_head(app: Flask) -> None:
    """Record the newest migration, as `flask db upgrade` leaves a real site."""
    with app.app_context():
        stamp()
        db.session.remove()


def _populate(app: Flask, users: int = 5, progress: int = 200) -> None:
    with app.app_context():
        cohort = Cohort(name="Drill", invite_code=secrets.token_hex(6))
        db.session.add(cohort)
        for n in range(users):
            user = User(
                email=f"drill{n}@example.org", name=f"Drill {n}", password_hash="x"
            )
            user.role_rows = [UserRole(role="trainee")]
            db.session.add(user)
            db.session.flush()
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
            db.session.add_all(
                ItemProgress(
                    user_id=user.id,
                    module_id="m",
                    item_id=f"item-{i}",
                    module_version="1.0.0",
                    content_hash="h",
                )
                for i in range(progress)
            )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[Flask, Path]]:
    path = tmp_path / "live.db"
    app = _sqlite_app(path, tmp_path / "modules")
    _populate(app)
    yield app, path
    with app.app_context():
        db.engine.dispose()


class Writer(threading.Thread):
    """Commits one audit row after another on its own connection until stopped."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.written = 0
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with closing(sqlite3.connect(self.path, isolation_level=None)) as conn:
                conn.execute("PRAGMA busy_timeout=15000")
                while not self.stop.is_set():
                    conn.execute(
                        "INSERT INTO audit_events (at, action, actor_label, "
                        "subject_label, ip, detail) VALUES "
                        "(datetime('now'), 'login', '', '', '', 'drill')"
                    )
                    self.written += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def wait_for(self, count: int) -> None:
        for _ in range(10_000):
            if self.written >= count or self.error:
                return
            self.stop.wait(0.001)


def test_sqlite_drill_backup_during_writes_then_restore(
    live: tuple[Flask, Path], tmp_path: Path
) -> None:
    app, path = live
    backup = tmp_path / "backup.db"
    writer = Writer(path)
    writer.start()
    try:
        writer.wait_for(20)
        before = writer.written
        result = app.test_cli_runner().invoke(args=["backup", str(backup)])
        written_by_end = writer.written
        writer.wait_for(written_by_end + 20)
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None
    assert result.exit_code == 0, result.output
    assert "integrity_check on the copy: ok" in result.output
    assert sqlite_integrity(backup) == "ok"
    counts = sqlite_counts(backup)
    assert counts["item_progress"] == 1000
    assert before <= counts["audit_events"] <= written_by_end

    fresh_path = tmp_path / "fresh" / "restored.db"
    fresh = create_app(
        base_config(f"sqlite:///{fresh_path}", MODULES_DIR=tmp_path / "modules")
    )
    restored = fresh.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert sqlite_integrity(fresh_path) == "ok"
    assert sqlite_counts(fresh_path) == counts
    assert "Rows after the restore:" in restored.output
    assert "restart the application servers" in restored.output
    with fresh.app_context():
        assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 5
        db.engine.dispose()


def test_backup_prints_row_counts_per_table(
    live: tuple[Flask, Path], tmp_path: Path
) -> None:
    app, _ = live
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
    lines = {
        line.split()[0]: line.split()[-1] for line in result.output.splitlines()[3:]
    }
    assert lines["item_progress"] == "1000"
    assert lines["users"] == "5"
    assert lines["total"].isdigit()


def test_backup_is_a_self_contained_file(
    live: tuple[Flask, Path], tmp_path: Path
) -> None:
    app, _ = live
    backup = tmp_path / "b.db"
    app.test_cli_runner().invoke(args=["backup", str(backup)])
    with closing(sqlite3.connect(backup)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not (tmp_path / "b.db-wal").exists()
    assert not (tmp_path / "b.db.partial").exists()


def test_backup_refuses_to_overwrite_without_force(
    live: tuple[Flask, Path], tmp_path: Path
) -> None:
    app, _ = live
    backup = tmp_path / "b.db"
    backup.write_bytes(b"keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(backup)])
    assert result.exit_code == 1
    assert "already exists" in result.output and "--force" in result.output
    assert backup.read_bytes() == b"keep me"
    forced = app.test_cli_runner().invoke(args=["backup", str(backup), "--force"])
    assert forced.exit_code == 0, forced.output
    assert sqlite_integrity(backup) == "ok"


def test_backup_into_missing_folder_is_refused(
    live: tuple[Flask, Path], tmp_path: Path
) -> None:
    app, _ = live
    result = app.test_cli_runner().invoke(
        args=["backup", str(tmp_path / "nowhere" / "b.db")]
    )
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_restore_asks_for_confirmation(
    live: tuple[Flask, Path], tmp_path: Path
) -> None:
    app, path = live
    backup = tmp_path / "b.db"
    app.test_cli_runner().invoke(args=["backup", str(backup)])
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DELETE FROM item_progress")
        conn.commit()
    declined = app.test_cli_runner().invoke(args=["restore", str(backup)], input="n\n")
    assert declined.exit_code == 1
    assert "replaces ALL data" in declined.output
    assert sqlite_counts(path)["item_progress"] == 0
    accepted = app.test_cli_runner().invoke(args=["restore", str(backup)], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert sqlite_counts(path)["item_progress"] == 1000


def test_restore_replaces_rows_written_after_the_backup(
    live: tuple[Flask, Path], tmp_path: Path
) -> None:
    app, path = live
    backup = tmp_path / "b.db"
    app.test_cli_runner().invoke(args=["backup", str(backup)])
    _populate_more(app)
    result = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert sqlite_counts(path) == sqlite_counts(backup)
    with app.app_context():  # the app's own pool sees the restored data
        assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 5


def _populate_more(app: Flask) -> None:
    with app.app_context():
        db.session.add(User(email="late@example.org", name="Late", password_hash="x"))
        db.session.commit()
        db.session.remove()


def _damaged_sqlite(path: Path, source: Path) -> None:
    data = bytearray(source.read_bytes())
    # Keep the header, scribble over the schema and data pages.
    for offset in range(100, len(data), 97):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (None, "No backup file at"),
        (lambda p, _s: p.write_bytes(b"hello, not a database" * 10), "not a SQLite"),
        (lambda p, _s: p.write_bytes(b""), "not a SQLite"),
        (lambda p, _s: p.write_bytes(b"PGDMP" + b"\0" * 50), "PostgreSQL dump"),
        (_damaged_sqlite, "damaged"),
    ],
    ids=["missing", "text", "empty", "pg-dump", "damaged"],
)
def test_restore_refuses_bad_files(
    live: tuple[Flask, Path], tmp_path: Path, make: Any, message: str
) -> None:
    app, path = live
    bad = tmp_path / "bad.db"
    if make is not None:
        make(bad, path)
    before = sqlite_counts(path)
    result = app.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert sqlite_counts(path) == before


def test_backup_of_memory_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "modules").mkdir(exist_ok=True)
    app = create_app(base_config("sqlite://", MODULES_DIR=tmp_path / "modules"))
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
    assert result.exit_code == 1
    assert "in memory" in result.output


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture
def fresh_pg_database() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("needs KAPTRAIN_TEST_DATABASE_URL (PostgreSQL)")
    from sqlalchemy.engine import make_url

    name = f"kaptrain_restore_{secrets.token_hex(4)}"
    admin = pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _pg_counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        counts = {
            table.name: db.session.execute(
                text(f'SELECT count(*) FROM "{table.name}"')  # noqa: S608
            ).scalar_one()
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


@pytest.fixture
def stamped(app: Flask) -> Iterator[Flask]:
    """The shared test database with a migration record, removed afterwards."""
    _stamp_head(app)
    yield app
    with app.app_context():
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.session.remove()


def test_pg_drill_backup_then_restore_into_fresh_database(
    stamped: Flask, tmp_path: Path, fresh_pg_database: str
) -> None:
    app = stamped
    _populate(app, users=3, progress=50)
    backup = tmp_path / "kaptrain.dump"
    result = app.test_cli_runner().invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert backup.read_bytes().startswith(b"PGDMP")
    assert "Rows in the backup:" in result.output
    expected = _pg_counts(app)
    assert expected["item_progress"] == 150

    fresh = create_app(base_config(fresh_pg_database, MODULES_DIR=tmp_path / "modules"))
    restored = fresh.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert _pg_counts(fresh) == expected
    with fresh.app_context():
        # Sequences came along: a new row gets a fresh id, not a collision.
        db.session.add(User(email="new@example.org", name="New", password_hash="x"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_pg_restore_replaces_later_rows(stamped: Flask, tmp_path: Path) -> None:
    app = stamped
    if not PG_URL:
        pytest.skip("needs KAPTRAIN_TEST_DATABASE_URL (PostgreSQL)")
    _populate(app, users=2, progress=5)
    backup = tmp_path / "kaptrain.dump"
    app.test_cli_runner().invoke(args=["backup", str(backup)])
    expected = _pg_counts(app)
    _populate_more(app)
    result = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert _pg_counts(app) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No backup file at"),
        (b"SQLite format 3\x00" + b"\0" * 100, "SQLite database"),
        (b"PGDMP" + b"\x01" * 40, "failed"),
        (b"garbage", "not a pg_dump"),
    ],
    ids=["missing", "sqlite-file", "damaged", "garbage"],
)
def test_pg_restore_refuses_bad_files(
    app: Flask, tmp_path: Path, content: bytes | None, message: str
) -> None:
    if not PG_URL:
        pytest.skip("needs KAPTRAIN_TEST_DATABASE_URL (PostgreSQL)")
    bad = tmp_path / "bad.dump"
    if content is not None:
        bad.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


# ------------------------------------------------- foreign files and permissions


def _unrelated_sqlite(path: Path, _live: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('someone else''s data')")
        conn.commit()


def _kaptrain_without_migration(path: Path, live: Path) -> None:
    with closing(sqlite3.connect(live)) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
        dst.execute("DELETE FROM alembic_version")
        dst.commit()


def _kaptrain_at_other_migration(path: Path, live: Path) -> None:
    with closing(sqlite3.connect(live)) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
        dst.execute("UPDATE alembic_version SET version_num = 'abc123older'")
        dst.commit()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_unrelated_sqlite, "is not a kaptrain backup"),
        (_kaptrain_without_migration, "is not a kaptrain backup"),
        (_kaptrain_at_other_migration, "at migration abc123older"),
    ],
    ids=["unrelated-sqlite", "no-migration-record", "other-migration"],
)
def test_restore_refuses_a_database_that_is_not_a_kaptrain_backup(
    live: tuple[Flask, Path], tmp_path: Path, make: Any, message: str
) -> None:
    app, path = live
    foreign = tmp_path / "foreign.db"
    make(foreign, path)
    before = sqlite_counts(path)
    result = app.test_cli_runner().invoke(args=["restore", str(foreign), "--yes"])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Nothing was changed" in result.output
    assert "Traceback" not in result.output
    assert sqlite_counts(path) == before
    with closing(sqlite3.connect(path)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "notes" not in tables


@pytest.mark.parametrize("name", ["back?up.db", "back#up.db", "back%41up.db"])
def test_backup_and_restore_take_the_path_literally(
    live: tuple[Flask, Path], tmp_path: Path, name: str
) -> None:
    app, path = live
    backup = tmp_path / name
    made = app.test_cli_runner().invoke(args=["backup", str(backup)])
    assert made.exit_code == 0, made.output
    assert backup.is_file()
    assert sqlite_counts(backup) == sqlite_counts(path)
    _populate_more(app)
    restored = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert sqlite_counts(path) == sqlite_counts(backup)


def test_restore_of_a_file_named_like_a_uri_option_is_not_misread(
    live: tuple[Flask, Path], tmp_path: Path
) -> None:
    # "x.db?mode=memory" must not open an empty in-memory database and "restore" it.
    app, _path = live
    odd = tmp_path / "x.db?mode=memory"
    result = app.test_cli_runner().invoke(args=["restore", str(odd), "--yes"])
    assert result.exit_code == 1
    assert "No backup file at" in result.output


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_database_backup_and_instance_folder_are_private(tmp_path: Path) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    instance = tmp_path / "instance"
    database = instance / "kaptrain.db"
    config = base_config(f"sqlite:///{database}", MODULES_DIR=modules)
    import os

    old = os.umask(0o022)  # the usual umask, which would give 0644 and 0755
    try:
        os.environ["KAPTRAIN_INSTANCE_DIR"] = str(instance)
        app = create_app(config)
        with app.app_context():
            db.create_all()
            db.session.remove()
        _stamp_head(app)
        backup = tmp_path / "b.db"
        result = app.test_cli_runner().invoke(args=["backup", str(backup)])
        assert result.exit_code == 0, result.output
    finally:
        os.umask(old)
        del os.environ["KAPTRAIN_INSTANCE_DIR"]
    assert _mode(instance) == 0o700
    assert _mode(database) == 0o600
    assert _mode(backup) == 0o600
    wal = database.with_name("kaptrain.db-wal")
    if wal.exists():
        assert _mode(wal) == 0o600
    with app.app_context():
        db.engine.dispose()


def test_existing_world_readable_database_is_narrowed(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    sqlite3.connect(database).close()
    database.chmod(0o644)
    app = _sqlite_app(database, tmp_path / "modules")
    assert _mode(database) == 0o600
    with app.app_context():
        db.engine.dispose()


def test_migration_head_is_the_newest_revision() -> None:
    versions = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    assert any(migration_head() in f.name for f in versions.glob("*.py"))


def test_pg_restore_refuses_a_dump_of_another_database(
    app: Flask, tmp_path: Path, fresh_pg_database: str
) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(fresh_pg_database)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id serial PRIMARY KEY, body text)"))
        conn.execute(text("INSERT INTO notes (body) VALUES ('other data')"))
    engine.dispose()
    other = create_app(base_config(fresh_pg_database, MODULES_DIR=tmp_path / "modules"))
    dump = tmp_path / "other.dump"
    made = other.test_cli_runner().invoke(args=["backup", str(dump)])
    assert made.exit_code == 0, made.output
    assert _mode(dump) == 0o600
    before = _pg_counts(app)
    result = app.test_cli_runner().invoke(args=["restore", str(dump), "--yes"])
    assert result.exit_code == 1, result.output
    assert "is not a kaptrain backup" in result.output
    assert _pg_counts(app) == before
