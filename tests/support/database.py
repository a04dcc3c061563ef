"""The test database: SQLite by default, PostgreSQL when
``KAPTRAIN_TEST_DATABASE_URL`` is set (one database per pytest-xdist worker)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from kaptrain.platform.setting_values import check_database_url


def _test_database_url() -> str | None:
    """KAPTRAIN_TEST_DATABASE_URL, with the pytest-xdist worker id appended to the
    database name in a parallel run (``kaptrain_test_gw0``, ...): every worker
    empties its database before each test, so workers cannot share one."""
    url = os.environ.get("KAPTRAIN_TEST_DATABASE_URL") or None
    if not url:
        return None
    url = check_database_url(url, "KAPTRAIN_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
        hide_password=False
    )


PG_URL = _test_database_url()


def database_backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


def create_pg_database_if_missing(url: str) -> None:
    """Create the test database named by the URL, so a developer needs no setup."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    name = make_url(url).database
    try:
        engine = pg_admin_engine()
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except OperationalError as error:
        pytest.exit(
            f"KAPTRAIN_TEST_DATABASE_URL: cannot reach PostgreSQL ({error.orig}). "
            "Start the server or unset the variable to test on SQLite.",
            returncode=2,
        )


def pg_admin_engine():  # type: ignore[no-untyped-def]
    """An autocommit engine on the PostgreSQL server's maintenance database."""
    assert PG_URL
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")
