"""Engine set-up and the few database helpers every service shares.

SQLite is the embedded default. Each connection gets WAL (readers never block the
writer), a busy timeout (a writer waits instead of failing), and foreign keys.
Python's sqlite3 module would otherwise begin transactions lazily, at the first
write, after a read may already have taken a snapshot; upgrading that snapshot to
a write lock fails at once with "database is locked" whatever the busy timeout.
So kaptrain takes transaction control itself: a request that may write (any
method but GET, HEAD and OPTIONS, plus CLI commands) opens ``BEGIN IMMEDIATE``,
which queues for the write lock up front; a read-only request opens a plain
``BEGIN``. A read-only request that must write once (an audit entry) calls
:func:`begin_write` first.

On PostgreSQL every request runs in an ordinary transaction. Pooled
connections are checked for life on checkout without a round trip (see
:func:`_server_closed`), where ``pool_pre_ping`` would send a query each time:
kept because it measured (bench/analysis.md, "Issue 14: cleverness earns its
place": trainee pages 4-7% less CPU than with the pre-ping).
"""

from __future__ import annotations

import contextvars
import select as select_module
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event, exc, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from kaptrain.extensions import db
from kaptrain.platform.files import private_file

SQLITE_BUSY_TIMEOUT_MS = 15_000
# Every id column is an INTEGER; on PostgreSQL a larger number in a query is an
# error ("integer out of range"), so a larger id in a URL is no row at all.
MAX_ID = 2**31 - 1

_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kaptrain_write_intent", default=True
)


def set_write_intent(value: bool) -> None:
    """Say whether transactions begun from now on in this context may write."""
    _write_intent.set(value)


def begin_write() -> None:
    """End the current (read) transaction so the next one begins as a writer."""
    db.session.commit()
    _write_intent.set(True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # None = autocommit at the driver level; we issue BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if _write_intent.get():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def _private_sqlite_file(database: str | None) -> None:
    # SQLite gives its -wal and -shm files the database file's mode, so a 0600
    # database keeps the whole set private.
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        if path.parent.is_dir():
            private_file(path)


def _server_closed(dbapi_connection: Any) -> bool:
    """Has PostgreSQL closed this idle pooled connection (restart, terminate)?

    An idle connection has nothing to read: the server speaks only when asked,
    and kaptrain uses no LISTEN/NOTIFY. When the server shuts a connection down
    it sends a final error and closes the socket, so the socket turns readable.
    Polling it costs one system call where a pre-ping costs a round trip. A
    connection that cannot be polled counts as closed (it is replaced, which is
    always safe).
    """
    if getattr(dbapi_connection, "closed", False) or getattr(
        dbapi_connection, "broken", False
    ):
        return True
    try:
        fileno = dbapi_connection.pgconn.socket
        readable, _, _ = select_module.select([fileno], [], [], 0)
    except Exception:  # noqa: BLE001 - unknown state: replace the connection
        return True
    return bool(readable)


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "checkout")
    def check_alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if _server_closed(dbapi_connection):
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError("PostgreSQL closed this pooled connection")


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a database id, so 0 to MAX_ID; others are 404."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def parse_id(text: str) -> int | None:
    """``text`` (a query parameter) as a database id, or None if it cannot be one."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def init_database(app: Flask) -> None:
    """Bind Flask-SQLAlchemy and install the per-engine settings."""
    # Before any blueprint adds its rules, so every <int:...> is bounded.
    app.url_map.converters["int"] = IdConverter
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _private_sqlite_file(engine.url.database)
            _configure_sqlite(engine)
        elif engine.dialect.name == "postgresql":
            _configure_postgresql(engine)

    @app.before_request
    def declare_intent() -> None:
        from flask import request

        set_write_intent(request.method not in {"GET", "HEAD", "OPTIONS"})

    @app.teardown_request
    def restore_intent(_error: BaseException | None) -> None:
        # Code running after the request in the same context (tests, CLI) writes.
        set_write_intent(True)

    @app.before_request
    def refuse_nul() -> None:
        # PostgreSQL text cannot hold NUL (a query with one fails), and nobody
        # types one: such a request is malformed on either engine alike.
        from flask import abort, request

        if _has_nul(request):
            abort(400)


def _has_nul(request: Any) -> bool:
    """Does any query or form field, name or value, or URL part contain NUL?"""
    texts = [*(request.view_args or {}).values()]
    for fields in (request.args, request.form):
        for key, value in fields.items(multi=True):
            texts += (key, value)
    return any(isinstance(t, str) and "\x00" in t for t in texts)


def insert_ignore(
    model: type[Any], rows: Mapping[str, Any] | Iterable[Mapping[str, Any]]
) -> int:
    """INSERT rows, silently skipping any that hit a unique constraint.

    The portable way to make a write idempotent under double submission: the
    database, not a read-then-write check, decides which of two racing requests
    wins. Returns the number of rows inserted.
    """
    values = [rows] if isinstance(rows, Mapping) else list(rows)
    if not values:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Count the rows RETURNING gives back: on PostgreSQL (psycopg 3, SQLAlchemy
    # 2.1) rowcount of this statement is -1, which made every insert look ignored.
    statement = (
        insert(model).values(values).on_conflict_do_nothing().returning(literal(1))
    )
    return len(db.session.execute(statement).all())
