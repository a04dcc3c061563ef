"""A host follows the published version: it starts from it, notices a new one
within the poll interval (with one query per interval, not per request), writes
the changed files and rebuilds; development imports edited files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from kaptrain import create_app
from kaptrain.authoring import store, sync
from kaptrain.authoring.revisions import publish_revision
from kaptrain.authoring.sync import MANIFEST
from kaptrain.extensions import db
from kaptrain.models import ModuleVersion
from kaptrain.platform.config import ConfigError, load_config
from tests.support.learn import MODULE_ID
from tests.support.settings import base_config
from tests.support.store import bump_version, folder_files, follow_now, store_config

LESSON = f"/modules/{MODULE_ID}/microaggressions"
POLL = 0.4


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return store_config(tmp_path, CONTENT_POLL_SECONDS=POLL)


@pytest.fixture
def trainee(app: Flask, client: FlaskClient, make_user: Any, login: Any) -> FlaskClient:
    follow_now(app)  # PostgreSQL: forget rows an earlier test left at start-up
    login(make_user("trainee"))
    return client


def _publish_folder(app: Flask) -> dict[str, bytes]:
    files = folder_files(Path(app.config["MODULES_DIR"]) / MODULE_ID)
    with app.app_context():
        publish_revision(MODULE_ID, files, author=None, message="", source="import")
    return files


def _retitle(files: dict[str, bytes], title: str, version: str) -> dict[str, bytes]:
    lesson = "02-microaggressions.md"
    changed = bump_version(files, "1.0.0", version)
    changed[lesson] = files[lesson].replace(
        b"title: Microaggressions", f"title: {title}".encode(), 1
    )
    return changed


def _page(client: FlaskClient, url: str = LESSON) -> str:
    return client.get(url).get_data(as_text=True)


def test_a_new_version_is_served_within_the_poll_interval(
    app: Flask, trainee: FlaskClient
) -> None:
    assert trainee.get(LESSON).status_code == 404  # nothing published yet
    files = _publish_folder(app)
    time.sleep(POLL + 0.05)
    assert "<h1>Microaggressions</h1>" in _page(trainee)
    with app.app_context():
        publish_revision(
            MODULE_ID,
            _retitle(files, "Everyday slights", "1.1.0"),
            author=None,
            message="",
            source="studio",
        )
    time.sleep(POLL + 0.05)
    page = _page(trainee)
    assert "Everyday slights" in page and "<h1>Microaggressions</h1>" not in page
    published = Path(app.config["PUBLISHED_DIR"])
    assert (
        b"Everyday slights"
        in (published / MODULE_ID / "02-microaggressions.md").read_bytes()
    )
    # No temporary folders are left behind by the swap.
    assert sorted(p.name for p in published.iterdir()) == [
        ".lock",
        MANIFEST,
        MODULE_ID,
    ]


def test_learner_records_name_the_published_version_and_hash(
    app: Flask, trainee: FlaskClient
) -> None:
    _publish_folder(app)
    follow_now(app)
    trainee.get(LESSON)
    with app.app_context():
        revision = store.current_revision(MODULE_ID)
        rows = db.session.execute(
            select(ModuleVersion.version, ModuleVersion.content_hash)
        ).all()
        assert [tuple(r) for r in rows] == [("1.0.0", revision.content_hash)]


@contextmanager
def version_checks(app: Flask) -> Iterator[list[str]]:
    """Every statement that reads the content version, while inside."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "content_version" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_the_version_check_is_one_query_per_interval_not_per_request(
    app: Flask, trainee: FlaskClient
) -> None:
    _publish_folder(app)
    follower = app.extensions["kaptrain_follower"]
    follower.poll_seconds = 30.0  # the requests below all fall in one interval
    for changed in (True, False):
        follower.checked_at = 0.0  # the interval has just ended
        with version_checks(app) as seen:
            for _ in range(12):
                assert trainee.get(LESSON).status_code == 200
        # The first request checks (and, on a change, rebuilds); the rest don't.
        assert len(seen) == 1, (changed, seen)
    with version_checks(app) as seen:
        for _ in range(12):
            trainee.get("/healthz")
    assert seen == []


def test_a_host_starts_from_the_published_version_not_its_folder(
    app: Flask, trainee: FlaskClient, tmp_path: Path
) -> None:
    files = _publish_folder(app)
    second = tmp_path / "host-b"
    config = store_config(second, PUBLISHED_DIR=second / "published")
    # Host B's own folder has an unpublished edit and a stray module folder.
    (config["MODULES_DIR"] / MODULE_ID / "quiz.md").write_text("edited on B")
    stray = second / "published" / "stray-module"
    stray.mkdir(parents=True)
    (stray / "module.md").write_text("---\nkind: module\n---\n")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    host_b = create_app(base_config(url, **config))
    catalog = host_b.extensions["kaptrain"].catalog
    assert [m.id for m in catalog.modules] == [MODULE_ID]
    assert catalog.get(MODULE_ID).content_hash == store.files_hash(files)
    assert not stray.exists()
    with host_b.app_context():
        db.engine.dispose()


def test_development_imports_edited_files(
    app: Flask, trainee: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "EDIT_CHECK_SECONDS", 0.0)
    follower = app.extensions["kaptrain_follower"]
    follower.auto_import = True
    assert "<h1>Microaggressions</h1>" in _page(trainee)  # first request imports
    lesson = Path(app.config["MODULES_DIR"]) / MODULE_ID / "02-microaggressions.md"
    text = lesson.read_text().replace("title: Microaggressions", "title: Edited", 1)
    lesson.write_text(text)
    assert "<h1>Edited</h1>" in _page(trainee)
    with app.app_context():
        assert store.current_revision(MODULE_ID).number == 2


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CONTENT_SOURCE", "files", "KAPTRAIN_CONTENT_SOURCE must be 'database'"),
        ("CONTENT_POLL_SECONDS", "soon", "KAPTRAIN_CONTENT_POLL_SECONDS must be a"),
        ("CONTENT_POLL_SECONDS", "0", "between 0.1 and 3600"),
        ("CONTENT_POLL_SECONDS", "99999", "between 0.1 and 3600"),
    ],
)
def test_invalid_content_settings_are_named(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variable: str,
    value: str,
    message: str,
) -> None:
    monkeypatch.setenv(f"KAPTRAIN_{variable}", value)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_content_settings_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("KAPTRAIN_CONTENT_SOURCE", raising=False)
    monkeypatch.delenv("KAPTRAIN_CONTENT_POLL_SECONDS", raising=False)
    config = load_config(tmp_path)
    assert config["CONTENT_SOURCE"] == "database"
    assert config["CONTENT_POLL_SECONDS"] == 2.0
    assert config["PUBLISHED_DIR"] == tmp_path / "published"
    monkeypatch.setenv("KAPTRAIN_CONTENT_SOURCE", "Folder")
    monkeypatch.setenv("KAPTRAIN_CONTENT_POLL_SECONDS", "0.5")
    config = load_config(tmp_path)
    assert (config["CONTENT_SOURCE"], config["CONTENT_POLL_SECONDS"]) == ("folder", 0.5)


def test_content_health_lists_the_published_modules(
    app: Flask, client: FlaskClient, make_user: Any, login: Any
) -> None:
    follow_now(app)
    _publish_folder(app)
    follow_now(app)
    login(make_user("author"))
    page = _page(client, "/author/")
    assert "Racial trauma: a complete example module" in page
    assert "published/complete-module" in page


def test_only_the_changed_module_is_rendered_again(
    app: Flask, trainee: FlaskClient
) -> None:
    from kaptrain.authoring.transfer import import_folder
    from tests.support.learn import SECOND_ID, add_second_module

    modules = Path(app.config["MODULES_DIR"])
    add_second_module(modules)
    with app.app_context():
        assert len(import_folder(modules).published) == 2
    follow_now(app)
    state = app.extensions["kaptrain"]
    assert {m.id for m in state.catalog.modules} == {MODULE_ID, SECOND_ID}
    files = folder_files(modules / SECOND_ID)
    with app.app_context():
        publish_revision(
            SECOND_ID,
            {**files, "quiz.md": files["quiz.md"] + b"\n"},
            author=None,
            message="",
            source="import",
        )
    assert follow_now(app)
    assert state.rendered == 1
    assert {m.id for m in state.catalog.modules} == {MODULE_ID, SECOND_ID}
