"""``flask content import / export / history / rollback``: files are the
interchange format, byte for byte, and a deploy never drops a web edit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from kaptrain.authoring import store
from kaptrain.authoring.revisions import publish_revision
from kaptrain.extensions import db
from kaptrain.models import ContentRevision
from tests.support.learn import MODULE_ID
from tests.support.store import bump_version, folder_files, follow_now, store_config


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return store_config(tmp_path)


@pytest.fixture
def modules(app: Flask) -> Path:
    follow_now(app)  # PostgreSQL: forget rows an earlier test left at start-up
    return Path(app.config["MODULES_DIR"])


def _revisions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ContentRevision))


def _edit(modules: Path, name: str, old: str, new: str) -> None:
    path = modules / MODULE_ID / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_import_then_export_gives_the_same_bytes(
    app: Flask, runner: FlaskCliRunner, modules: Path, tmp_path: Path
) -> None:
    result = runner.invoke(args=["content", "import"])
    assert result.exit_code == 0, result.output
    assert "published complete-module as revision 1" in result.output
    out = tmp_path / "exported"
    result = runner.invoke(args=["content", "export", str(out)])
    assert result.exit_code == 0, result.output
    original = folder_files(modules / MODULE_ID)
    assert b"\x89PNG" in original["media/model.png"]
    assert folder_files(out / MODULE_ID) == original
    # Importing the export changes nothing.
    result = runner.invoke(args=["content", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 published, 1 unchanged" in result.output
    assert _revisions(app) == 1


def test_importing_twice_creates_no_revision(
    app: Flask, runner: FlaskCliRunner, modules: Path
) -> None:
    assert runner.invoke(args=["content", "import"]).exit_code == 0
    result = runner.invoke(args=["content", "import"])
    assert result.exit_code == 0
    assert "0 published, 1 unchanged, 0 not published" in result.output
    assert _revisions(app) == 1
    with app.app_context():
        assert store.read_counter() == 1


def test_a_module_with_errors_is_not_published_and_the_command_says_where(
    app: Flask, runner: FlaskCliRunner, modules: Path
) -> None:
    assert runner.invoke(args=["content", "import"]).exit_code == 0
    _edit(
        modules,
        "01-defining-racial-trauma.md",
        "](media/model.png)",
        "](media/missing.png)",
    )
    result = runner.invoke(args=["content", "import"])
    assert result.exit_code == 1
    assert (
        "modules/complete-module/01-defining-racial-trauma.md:16: error L2"
        in result.output
    )
    assert "error L2" in result.output
    assert "not published: modules/complete-module" in result.output
    assert _revisions(app) == 1


def test_import_refuses_to_overwrite_a_studio_edit_without_force(
    app: Flask, runner: FlaskCliRunner, modules: Path
) -> None:
    assert runner.invoke(args=["content", "import"]).exit_code == 0
    with app.app_context():
        web = bump_version(folder_files(modules / MODULE_ID), "1.0.0", "1.1.0")
        web["quiz.md"] += b"\n"
        publish_revision(MODULE_ID, web, author=None, message="web", source="studio")
    _edit(modules, "module.md", "version: 1.0.0", "version: 1.2.0")
    result = runner.invoke(args=["content", "import"])
    assert result.exit_code == 1
    assert "not published: complete-module" in result.output
    assert "made in the studio after the last import (revision 2)" in result.output
    assert "--force" in result.output
    assert _revisions(app) == 2
    result = runner.invoke(args=["content", "import", "--force"])
    assert result.exit_code == 0, result.output
    assert "published complete-module as revision 3" in result.output
    with app.app_context():
        current = store.current_revision(MODULE_ID)
        assert (current.source, current.version) == ("import", "1.2.0")


def test_export_of_an_old_revision_and_rollback_from_the_command_line(
    app: Flask, runner: FlaskCliRunner, modules: Path, tmp_path: Path
) -> None:
    first = folder_files(modules / MODULE_ID)
    assert runner.invoke(args=["content", "import"]).exit_code == 0
    _edit(modules, "module.md", "version: 1.0.0", "version: 1.1.0")
    assert runner.invoke(args=["content", "import", "-m", "new"]).exit_code == 0
    out = tmp_path / "old"
    result = runner.invoke(
        args=["content", "export", str(out), "--module", MODULE_ID, "--revision", "1"]
    )
    assert result.exit_code == 0, result.output
    assert folder_files(out / MODULE_ID) == first
    result = runner.invoke(args=["content", "rollback", MODULE_ID, "1"])
    assert result.exit_code == 0, result.output
    assert "revision 3 (the files of revision 1, version 1.0.0)" in result.output
    history = runner.invoke(args=["content", "history", MODULE_ID]).output
    lines = [line for line in history.splitlines() if "UTC" in line]
    assert len(lines) == 3
    assert lines[0].startswith("*   3") and "rollback" in lines[0]
    assert "Rollback to revision 1" in lines[0] and "new" in lines[1]


def test_export_replaces_files_that_are_not_in_the_revision(
    app: Flask, runner: FlaskCliRunner, modules: Path, tmp_path: Path
) -> None:
    assert runner.invoke(args=["content", "import"]).exit_code == 0
    out = tmp_path / "repo"
    (out / MODULE_ID / "media").mkdir(parents=True)
    (out / MODULE_ID / "media" / "stale.png").write_bytes(b"old")
    assert runner.invoke(args=["content", "export", str(out)]).exit_code == 0
    assert not (out / MODULE_ID / "media" / "stale.png").exists()
    assert folder_files(out / MODULE_ID) == folder_files(modules / MODULE_ID)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "OUT", "--revision", "1"], "--revision needs --module"),
        (["export", "OUT", "--module", "nope"], "module nope is not published"),
        (["export", "OUT", "--module", MODULE_ID, "--revision", "7"], "no revision 7"),
        (["history", "nope"], "no module 'nope' has been published"),
        (["rollback", MODULE_ID, "4"], "has no revision 4"),
        (["import", "no/such/folder"], "no such folder"),
    ],
)
def test_bad_arguments_get_a_sentence_saying_what_to_do(
    app: Flask,
    runner: FlaskCliRunner,
    modules: Path,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    assert runner.invoke(args=["content", "import"]).exit_code == 0
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    result = runner.invoke(args=["content", *args])
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output


def test_demo_imports_the_modules_folder_on_first_run_only(
    app: Flask, runner: FlaskCliRunner, modules: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAPTRAIN_DEMO_PASSWORD", "quiet-harbour-lantern-47")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Published the modules in" in result.output
    assert _revisions(app) == 1
    _edit(modules, "module.md", "version: 1.0.0", "version: 1.1.0")
    result = runner.invoke(args=["demo"])
    assert "Published the modules" not in result.output
    assert _revisions(app) == 1


def test_before_the_migration_the_commands_say_to_run_it(tmp_path: Path) -> None:
    from kaptrain import create_app
    from tests.support.settings import base_config

    fresh = create_app(
        base_config(f"sqlite:///{tmp_path / 'empty.db'}", **store_config(tmp_path))
    )
    for args in (["import"], ["history", MODULE_ID], ["export", str(tmp_path / "x")]):
        result = fresh.test_cli_runner().invoke(args=["content", *args])
        assert result.exit_code == 1
        assert "Run `flask --app kaptrain db upgrade`" in result.output
        assert "Traceback" not in result.output
    with fresh.app_context():
        db.engine.dispose()
