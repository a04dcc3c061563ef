"""Migrations: upgrade an empty database, downgrade to base, upgrade again, on
SQLite and (when KAPTRAIN_TEST_DATABASE_URL is set) on a fresh PostgreSQL
database; and the migrated schema matches the models."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from kaptrain import create_app
from kaptrain.extensions import db
from tests.support.database import PG_URL, pg_admin_engine
from tests.support.settings import base_config


def _app(url: str, tmp_path: Path) -> Flask:
    modules = tmp_path / "modules"
    modules.mkdir(exist_ok=True)
    return create_app(base_config(url, MODULES_DIR=modules))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path: Path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        app = _app(f"sqlite:///{tmp_path / 'migrate.db'}", tmp_path)
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    if not PG_URL:
        pytest.skip("KAPTRAIN_TEST_DATABASE_URL is not set")
    name = f"kaptrain_migrate_{uuid.uuid4().hex[:12]}"
    admin = pg_admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    app = _app(make_url(PG_URL).set(database=name).render_as_string(False), tmp_path)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _loggers() -> list[logging.Logger]:
    return [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]


@pytest.fixture(autouse=True)
def _keep_loggers() -> Iterator[None]:
    """migrations/env.py runs logging.fileConfig, which disables every logger that
    exists; undo that so later tests still see kaptrain's log records."""
    disabled_before = {logger.name for logger in _loggers() if logger.disabled}
    root_level = logging.getLogger().level
    yield
    for logger in _loggers():
        logger.disabled = logger.name in disabled_before
    logging.getLogger().setLevel(root_level)


def _tables(app: Flask) -> set[str]:
    with app.app_context():
        db.engine.dispose()
        return set(inspect(db.engine).get_table_names())


def _run(app: Flask, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, (result.output, result.exception)


def test_upgrade_downgrade_upgrade(empty_database):
    app = empty_database
    model_tables = set(db.metadata.tables)
    assert _tables(app) == set()
    _run(app, "upgrade")
    assert _tables(app) == model_tables | {"alembic_version"}
    _run(app, "downgrade", "base")
    assert _tables(app) == {"alembic_version"}
    _run(app, "upgrade")
    assert _tables(app) == model_tables | {"alembic_version"}


def test_migrated_schema_matches_the_models(empty_database):
    app = empty_database
    _run(app, "upgrade")
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = compare_metadata(context, db.metadata)
    assert differences == [], (
        "The models and the migration differ; regenerate the migration "
        f"(flask db migrate). Differences: {differences}"
    )
