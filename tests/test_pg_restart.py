"""After a PostgreSQL restart the app answers again without being restarted.

PostgreSQL only: an embedded SQLite database has no server to restart, so the
SQLite run lists this test as skipped with that reason.

When the tests run as root on a machine with ``pg_ctlcluster`` and a local
cluster, the test restarts that cluster for real
(``pg_ctlcluster --skip-systemctl-redirect <version> <cluster> restart``); this
restarts the machine's shared PostgreSQL, so it lives alone in this file.
Otherwise it emulates the restart by terminating every backend of the server's
database with ``pg_terminate_backend``, which leaves each worker's pooled
connections dead in the same way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.live_server import LiveServer, start_live_server

PG_URL = os.environ.get("KAPTRAIN_TEST_DATABASE_URL")
TIMEOUT = 20
PAGES = 8  # enough requests that both workers serve some


def _local_cluster() -> tuple[str, str] | None:
    """(version, cluster) of the local cluster on the test URL's port, if we may
    restart it."""
    if not PG_URL or os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        return None
    url = make_url(PG_URL)
    if url.host not in {"127.0.0.1", "localhost", "::1"}:
        return None
    port = str(url.port or 5432)
    config = Path("/etc/postgresql")
    for conf in sorted(config.glob("*/*/postgresql.conf")):
        text_ = conf.read_text(errors="replace")
        ports = [
            line.split("=", 1)[1].split("#", 1)[0].strip()
            for line in text_.splitlines()
            if line.strip().startswith("port")
        ]
        if (ports[-1] if ports else "5432") == port:
            return conf.parent.parent.name, conf.parent.name
    return None


def _admin_engine():  # type: ignore[no-untyped-def]
    url = make_url(PG_URL)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _started_at() -> str:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT pg_postmaster_start_time()")).scalar())
    finally:
        engine.dispose()


def _wait_until_accepting(deadline: float) -> None:
    while True:
        try:
            _started_at()
            return
        except Exception:  # noqa: BLE001 - still starting up
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def _restart_or_terminate(server: LiveServer) -> str:
    cluster = _local_cluster()
    if cluster is not None:
        before = _started_at()
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "restart"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        _wait_until_accepting(time.monotonic() + 30)
        assert _started_at() != before, "PostgreSQL did not restart"
        return "restart"
    name = make_url(server.database_url).database
    engine = _admin_engine()
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        ).scalar()
    engine.dispose()
    assert killed, "the workers held no connection to terminate"
    return "terminate"


@pytest.mark.server
@pytest.mark.parametrize(
    "backend",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not PG_URL,
                reason="PostgreSQL only: SQLite is embedded, there is no database "
                "server to restart (set KAPTRAIN_TEST_DATABASE_URL to run it)",
            ),
        )
    ],
)
def test_app_answers_after_a_database_restart(tmp_path: Path, backend: str) -> None:
    with start_live_server(tmp_path / "server") as server:
        http = server.login("trainee@example.org")
        for _ in range(PAGES):  # every worker now holds pooled connections
            assert http.get(f"{server.url}/modules", timeout=TIMEOUT).status_code == 200
        how = _restart_or_terminate(server)
        for _ in range(PAGES):
            health = requests.get(f"{server.url}/healthz", timeout=TIMEOUT)
            assert health.status_code == 200, (how, health.text)
            page = http.get(f"{server.url}/modules", timeout=TIMEOUT)
            assert page.status_code == 200, (how, page.status_code)
            assert "/login" not in page.url, "the sign-in did not survive"
        assert server.process is not None and server.process.poll() is None
