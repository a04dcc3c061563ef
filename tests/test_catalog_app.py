"""The served catalog: built once per content version, broken modules left out,
versions recorded, renames keep progress, and start-up never crashes on content."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kaptrain.content import render
from kaptrain.extensions import db
from kaptrain.learning import course as app_catalog
from kaptrain.learning.course import content_state, current_catalog
from kaptrain.models import ItemProgress, ModuleVersion

CONTENT = Path(__file__).parent / "content"


def make_tree(root: Path, broken: str | None = "l1-broken-link") -> Path:
    """complete-module, a second valid copy, and (optionally) one broken fixture."""
    tree = root / "modules"
    shutil.copytree(CONTENT / "complete-module", tree / "complete-module")
    second = tree / "second-module"
    shutil.copytree(CONTENT / "complete-module", second)
    text = (second / "module.md").read_text()
    text = text.replace("id: complete-module", "id: second-module")
    (second / "module.md").write_text(text.replace("order: 1", "order: 2"))
    if broken:
        folder = tree / "broken-module"
        shutil.copytree(CONTENT / broken, folder)
        text = (folder / "module.md").read_text().replace("order: 1", "order: 9")
        (folder / "module.md").write_text(text.replace("id: case", "id: broken-module"))
    return tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path)


@pytest.fixture
def app_config(tree: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    config = {"MODULES_DIR": tree, "CONTENT_CACHE_DIR": None}
    config.update(getattr(request, "param", {}))
    return config


@pytest.fixture
def render_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts every Markdown render (documents and fragments) from now on."""
    calls = {"document": 0, "fragment": 0}
    for name in calls:
        original = getattr(render.Renderer, name)

        def counting(self, source, _original=original, _name=name):  # type: ignore[no-untyped-def]
            calls[_name] += 1
            return _original(self, source)

        monkeypatch.setattr(render.Renderer, name, counting)
    return calls


@pytest.fixture
def trainee_client(app: Flask, client, make_user, login):  # type: ignore[no-untyped-def]
    user = make_user("trainee")
    login(user)
    client.user = user
    return client


LESSON_URL = "/modules/complete-module/microaggressions"


def touch_lesson(tree: Path, module: str = "complete-module") -> None:
    lesson = tree / module / "02-microaggressions.md"
    lesson.write_text(lesson.read_text() + "\nAn added closing line.\n")


@pytest.mark.parametrize("app_config", [{"CONTENT_AUTO_RELOAD": True}], indirect=True)
def test_each_page_is_rendered_once_per_content_version(
    app: Flask,
    tree: Path,
    trainee_client,
    render_calls: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_catalog, "FINGERPRINT_INTERVAL_S", 0.0)
    state = app.extensions["kaptrain"]
    builds = state.builds
    for _ in range(5):
        response = trainee_client.get(LESSON_URL)
        assert response.status_code == 200
    assert render_calls == {"document": 0, "fragment": 0}
    assert state.builds == builds

    touch_lesson(tree)
    response = trainee_client.get(LESSON_URL)
    assert "An added closing line." in response.get_data(as_text=True)
    assert state.builds == builds + 1
    # Only the edited module is rendered again: its overview and two lessons.
    assert render_calls["document"] == 3
    assert state.rendered == 1
    rendered = dict(render_calls)
    for _ in range(5):
        assert trainee_client.get(LESSON_URL).status_code == 200
    assert render_calls == rendered
    assert state.builds == builds + 1


def test_without_auto_reload_edits_wait_for_a_reload(
    app: Flask, tree: Path, trainee_client, runner
) -> None:
    touch_lesson(tree)
    assert "An added closing line." not in trainee_client.get(LESSON_URL).get_data(
        as_text=True
    )
    result = runner.invoke(args=["content", "reload", "--pidfile", "/nonexistent"])
    assert result.exit_code == 0, result.output
    assert "An added closing line." in trainee_client.get(LESSON_URL).get_data(
        as_text=True
    )


def test_broken_module_is_left_out_and_the_others_served(
    app: Flask, trainee_client
) -> None:
    with app.app_context():
        catalog = current_catalog()
    assert [m.id for m in catalog.modules] == ["complete-module", "second-module"]
    assert [(b.name, b.id) for b in catalog.broken] == [
        ("broken-module", "broken-module")
    ]
    assert {p.code for p in catalog.broken[0].problems if p.is_error} == {
        "L1",
        "M10",
        "M11",
    }
    assert trainee_client.get("/healthz").get_json()["modules"] == 2
    if "learn.module" in app.view_functions:
        assert trainee_client.get("/modules/complete-module").status_code == 200
        assert trainee_client.get("/modules/second-module").status_code == 200
        assert trainee_client.get("/modules/broken-module").status_code == 404
        listing = trainee_client.get("/modules").get_data(as_text=True)
        assert "/modules/second-module" in listing
        assert "/modules/broken-module" not in listing


def test_broken_module_is_logged_with_the_checkers_messages(
    tree: Path, caplog: pytest.LogCaptureFixture, app_config: dict[str, Any]
) -> None:
    from kaptrain import create_app
    from tests.support.settings import base_config

    with caplog.at_level(logging.INFO, logger="kaptrain.content"):
        create_app(base_config("sqlite://", **app_config))
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith("modules/broken-module/lesson.md:8: error L1:") for m in messages
    )
    assert any("module broken-module left out" in m for m in messages)


def _versions() -> list[tuple[str, str, str]]:
    rows = db.session.execute(
        select(
            ModuleVersion.module_id, ModuleVersion.version, ModuleVersion.content_hash
        )
    ).all()
    return sorted(tuple(r) for r in rows)


def test_module_versions_are_recorded_once_per_version(
    app: Flask, client, tree: Path
) -> None:
    for _ in range(3):
        client.get("/healthz")
    with app.app_context():
        catalog = current_catalog()
        assert _versions() == sorted(
            (m.id, m.version, m.content_hash) for m in catalog.modules
        )
    touch_lesson(tree, "second-module")
    with app.app_context():
        content_state().reload()
    client.get("/healthz")
    client.get("/healthz")
    with app.app_context():
        versions = _versions()
        new_hash = current_catalog().get("second-module").content_hash
    assert len(versions) == 3
    assert ("second-module", "1.0.0", new_hash) in versions
    assert not any(v[0] == "broken-module" for v in versions)


def test_renaming_a_lesson_file_keeps_its_learners_progress(
    app: Flask, tree: Path, make_user: Callable[..., Any], runner
) -> None:
    from kaptrain.learning.progress import DONE, module_progress

    user = make_user("trainee")
    with app.app_context():
        before = current_catalog().get("complete-module")
        db.session.add(
            ItemProgress(
                user_id=user.id,
                module_id=before.id,
                item_id="defining-racial-trauma",
                status=DONE,
                module_version=before.version,
                content_hash=before.content_hash,
            )
        )
        db.session.commit()
        assert (
            "defining-racial-trauma" in module_progress(user.id, before).done_item_ids
        )

    folder = tree / "complete-module"
    (folder / "01-defining-racial-trauma.md").rename(folder / "01-what-it-is.md")
    for name in ("module.md", "01-what-it-is.md", "02-microaggressions.md"):
        path = folder / name
        path.write_text(
            path.read_text().replace("01-defining-racial-trauma.md", "01-what-it-is.md")
        )
    result = runner.invoke(args=["content", "reload", "--pidfile", "/nonexistent"])
    assert "2 modules served" in result.output

    with app.app_context():
        after = current_catalog().get("complete-module")
        assert after.content_hash != before.content_hash
        assert (
            after.item("defining-racial-trauma").source_path.name == "01-what-it-is.md"
        )
        progress = module_progress(user.id, after)
    assert "defining-racial-trauma" in progress.done_item_ids
    assert progress.lessons_done == 1


@pytest.mark.parametrize(
    "app_config", [{"MODULES_DIR": "/nonexistent/kaptrain"}], indirect=True
)
def test_missing_modules_folder_gives_an_empty_catalog_not_a_crash(
    app: Flask, client, make_user, login
) -> None:
    state = app.extensions["kaptrain"]
    assert state.catalog.modules == ()
    assert "/nonexistent/kaptrain" in state.error
    assert "KAPTRAIN_MODULES_DIR" in state.error
    assert client.get("/healthz").get_json()["modules"] == 0
    login(make_user("author"))
    page = client.get("/author/").get_data(as_text=True)
    assert "No modules can be read" in page


def test_an_unexpected_build_failure_keeps_the_previous_catalog(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app_catalog, "build_catalog", explode)
    with app.app_context():
        state = content_state()
        before = state.catalog
        assert state.reload() is before
    assert "a bug" in state.error
    assert len(before.modules) == 2


def test_render_cache_lets_the_next_start_render_nothing(
    tmp_path: Path, app_config: dict[str, Any]
) -> None:
    from kaptrain import create_app
    from tests.support.settings import base_config

    config = base_config(
        f"sqlite:///{tmp_path / 'c.db'}",
        **{**app_config, "CONTENT_CACHE_DIR": tmp_path / "cache"},
    )
    first = create_app(config).extensions["kaptrain"]
    second = create_app(config).extensions["kaptrain"]
    assert first.rendered == 2
    assert second.rendered == 0
    assert second.catalog.get("complete-module") == first.catalog.get("complete-module")
    assert second.catalog.version == first.catalog.version
