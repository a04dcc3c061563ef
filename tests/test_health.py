"""/healthz: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from kaptrain.extensions import db
from tests.support.settings import CONTENT_FIXTURES


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    modules = tmp_path / "modules"
    modules.mkdir()
    shutil.copytree(CONTENT_FIXTURES / "complete-module", modules / "complete-module")
    return {"MODULES_DIR": modules}


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "modules": 1}


def test_database_unreachable_is_503(app, monkeypatch):
    from sqlalchemy import create_engine

    with app.app_context():
        engine = db.engine
        engine.dispose()
        dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
        monkeypatch.setitem(db._app_engines[app], None, dead)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "error"
    assert body["database"] == "error"
    assert body["modules"] == 1
    with app.app_context():
        dead.dispose()


def test_database_that_was_never_reachable_is_503(tmp_path, app_config):
    from kaptrain import create_app
    from tests.support.settings import base_config

    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    broken = create_app(base_config(url, **app_config))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "error"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
