"""PostgreSQL connection handling: every request runs in a transaction, and a
pooled connection the server has closed is replaced on checkout instead of
failing the request."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text

from kaptrain.extensions import db
from kaptrain.platform.database import _server_closed
from tests.support.database import PG_URL, pg_admin_engine

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="PostgreSQL only (set KAPTRAIN_TEST_DATABASE_URL)"
)


def _autocommit_per_statement(app: Flask, action: Any) -> list[bool]:
    seen: list[bool] = []

    def record(conn: Any, *_args: Any) -> None:
        seen.append(conn.connection.driver_connection.autocommit)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_reads_and_writes_use_a_transaction(
    app: Flask, client: Any, make_user: Any, login: Any
) -> None:
    user = make_user("trainee")
    login(user)
    reads = _autocommit_per_statement(app, lambda: client.get("/modules"))
    assert reads and not any(reads), reads
    # (The test configuration turns CSRF off, so the form needs no token.)
    writes = _autocommit_per_statement(app, lambda: client.post("/logout"))
    assert writes and not any(writes), writes


def test_a_pooled_connection_goes_back_transactional(app: Flask, client: Any) -> None:
    client.get("/healthz")
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.connection.driver_connection.autocommit is False


def _terminate_backends(app: Flask, *, wait: bool) -> None:
    """Terminate the app's PostgreSQL backends; with ``wait``, until they exited."""
    with app.app_context():
        name = db.engine.url.database
    admin = pg_admin_engine()
    with admin.connect() as connection:
        pids = (
            connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            .scalars()
            .all()
        )
        assert pids, "the app held no connection to terminate"
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # pg_terminate_backend only signals; waiting until the backends have
        # exited (and so closed their sockets) is the state after a restart.
        deadline = time.monotonic() + 10
        while (
            wait
            and time.monotonic() < deadline
            and connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": list(pids)},
            ).scalar_one()
        ):
            time.sleep(0.05)
    admin.dispose()


def test_a_connection_the_server_closed_is_replaced(app: Flask, client: Any) -> None:
    assert client.get("/healthz").status_code == 200  # the pool now holds one
    _terminate_backends(app, wait=True)
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_server_closed_detects_a_closed_socket(app: Flask) -> None:
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            live = raw.driver_connection
            assert _server_closed(live) is False
            live.close()
            assert _server_closed(live) is True
        finally:
            raw.invalidate()


def test_health_answers_at_once_after_its_backend_is_terminated(
    app: Flask, client: Any
) -> None:
    """No waiting for the backend to exit: the socket may not be closed yet, so
    the check's first query can fail on it; /healthz asks once more."""
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        _terminate_backends(app, wait=False)
        response = client.get("/healthz")
        assert response.status_code == 200, response.get_data(as_text=True)
