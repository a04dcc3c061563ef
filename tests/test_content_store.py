"""Published content in the database: revisions, blobs stored once, the checker
guarding every publish, version order, history and rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from kaptrain.authoring import revisions, store
from kaptrain.authoring.revisions import PublishError, publish_revision
from kaptrain.extensions import db
from kaptrain.models import (
    AuditEvent,
    ContentBlob,
    ContentRevision,
    ContentRevisionFile,
    User,
)
from tests.support.learn import MODULE_ID
from tests.support.store import bump_version, folder_files, follow_now, store_config


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return store_config(tmp_path)


@pytest.fixture
def files(app: Flask) -> dict[str, bytes]:
    follow_now(app)  # PostgreSQL: forget rows an earlier test left at start-up
    return folder_files(Path(app.config["MODULES_DIR"]) / MODULE_ID)


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_publish_stores_a_revision_with_every_file_and_raises_the_version(
    app: Flask, files: dict[str, bytes]
) -> None:
    with app.app_context():
        result = publish_revision(
            MODULE_ID, files, author=None, message="first", source="import"
        )
        assert result.created and result.revision.number == 1
        assert result.revision.version == "1.0.0"
        assert store.read_counter() == 1
        assert store.read_files(result.revision) == files
        assert store.current_revision(MODULE_ID).id == result.revision.id
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.subject_label) == ("content_published", MODULE_ID)


def test_publishing_the_same_files_again_creates_nothing(
    app: Flask, files: dict[str, bytes]
) -> None:
    with app.app_context():
        publish_revision(MODULE_ID, files, author=None, message="", source="import")
        again = publish_revision(
            MODULE_ID, files, author=None, message="", source="studio"
        )
        assert not again.created and again.revision.number == 1
        assert _count(ContentRevision) == 1
        assert store.read_counter() == 1


def test_an_unchanged_file_is_stored_once_across_revisions(
    app: Flask, files: dict[str, bytes]
) -> None:
    with app.app_context():
        publish_revision(MODULE_ID, files, author=None, message="", source="import")
        changed = bump_version(files, "1.0.0", "1.0.1")
        publish_revision(MODULE_ID, changed, author=None, message="", source="studio")
        # Every file of revision 1, plus the one changed module.md.
        assert _count(ContentBlob) == len(set(files.values())) + 1
        assert _count(ContentRevisionFile) == 2 * len(files)


def test_a_module_with_errors_is_refused_with_file_and_line(
    app: Flask, files: dict[str, bytes]
) -> None:
    with app.app_context():
        publish_revision(MODULE_ID, files, author=None, message="", source="import")
        broken = {**files, "02-microaggressions.md": b"no front matter here\n"}
        with pytest.raises(PublishError) as caught:
            publish_revision(
                MODULE_ID, broken, author=None, message="", source="import"
            )
        lines = caught.value.lines()
        assert "not published" in lines[0]
        assert any(
            line.startswith("02-microaggressions.md:1: error F5") for line in lines
        )
        assert _count(ContentRevision) == 1
        assert store.read_counter() == 1
        assert store.read_files(store.current_revision(MODULE_ID)) == files


@pytest.mark.parametrize(
    ("source", "version", "refused"),
    [
        ("studio", "1.0.0", True),  # the studio must raise the version
        ("import", "1.0.0", False),  # an import may keep it
        ("import", "0.9.0", True),  # but never lower it
        ("studio", "1.1.0", False),
    ],
)
def test_version_order(
    app: Flask, files: dict[str, bytes], source: str, version: str, refused: bool
) -> None:
    with app.app_context():
        publish_revision(MODULE_ID, files, author=None, message="", source="import")
        changed = bump_version(files, "1.0.0", version)
        changed["quiz.md"] = changed["quiz.md"] + b"\n"
        if refused:
            with pytest.raises(PublishError, match=r"^module.md:\d+: version"):
                publish_revision(
                    MODULE_ID, changed, author=None, message="", source=source
                )
            assert _count(ContentRevision) == 1
        else:
            result = publish_revision(
                MODULE_ID, changed, author=None, message="", source=source
            )
            assert result.revision.number == 2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../escape.md", "start with"),
        ("media/.hidden.png", "start with"),
        ("/etc/passwd", "plain relative path"),
    ],
)
def test_bad_file_paths_are_refused(
    app: Flask, files: dict[str, bytes], path: str, message: str
) -> None:
    with app.app_context(), pytest.raises(PublishError, match=message):
        publish_revision(
            MODULE_ID, {**files, path: b"x"}, author=None, message="", source="studio"
        )


def test_files_must_declare_the_module_id(app: Flask, files: dict[str, bytes]) -> None:
    with app.app_context(), pytest.raises(PublishError, match="keeps its id"):
        publish_revision("other-id", files, author=None, message="", source="studio")


def test_prerequisites_are_checked_against_the_published_modules(
    app: Flask, files: dict[str, bytes]
) -> None:
    second = {
        **files,
        "module.md": files["module.md"]
        .replace(b"id: complete-module", b"id: second-module")
        .replace(b"order: 1", b"order: 2")
        .replace(b"prerequisites: []", b"prerequisites: [complete-module]"),
    }
    with app.app_context():
        with pytest.raises(PublishError) as caught:
            publish_revision(
                "second-module", second, author=None, message="", source="import"
            )
        assert any("M4" in line for line in caught.value.lines())
        publish_revision(MODULE_ID, files, author=None, message="", source="import")
        result = publish_revision(
            "second-module", second, author=None, message="", source="import"
        )
        assert result.revision.folder == "second-module"


def test_history_and_rollback(
    app: Flask, files: dict[str, bytes], make_user: Any
) -> None:
    author = make_user("author", name="Ada Author")
    with app.app_context():
        user = db.session.get(User, author.id)
        publish_revision(MODULE_ID, files, author=None, message="one", source="import")
        changed = bump_version(files, "1.0.0", "1.1.0")
        publish_revision(
            MODULE_ID, changed, author=user, message="two", source="studio"
        )
        result = revisions.rollback(MODULE_ID, 1, user)
        assert result.revision.number == 3
        assert (
            result.revision.content_hash
            == store.get_revision(MODULE_ID, 1).content_hash
        )
        assert store.read_files(result.revision) == files
        rows = revisions.history(MODULE_ID)
        assert [(r.number, r.source, r.published) for r in rows] == [
            (3, "rollback", True),
            (2, "studio", False),
            (1, "import", False),
        ]
        assert rows[0].restored_number == 1 and rows[0].parent_number == 2
        assert (rows[1].author, rows[2].author) == ("Ada Author", "command line")
        with pytest.raises(PublishError, match="same files"):
            revisions.rollback(MODULE_ID, 1, user)
        with pytest.raises(PublishError, match="no revision 9"):
            revisions.rollback(MODULE_ID, 9, user)
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions.count("content_rolled_back") == 1


def test_diff_files_names_changed_added_and_removed_files() -> None:
    old = {"a.md": b"one\ntwo\n", "gone.md": b"x\n", "media/p.png": b"\x89PNG\x00"}
    new = {"a.md": b"one\nthree\n", "new.md": b"y\n", "media/p.png": b"\x89PNG\x01"}
    diffs = {d.path: d for d in revisions.diff_files(old, new)}
    assert {p: d.status for p, d in diffs.items()} == {
        "a.md": "changed",
        "gone.md": "removed",
        "new.md": "added",
        "media/p.png": "changed",
    }
    assert "-two" in diffs["a.md"].lines and "+three" in diffs["a.md"].lines
    assert diffs["media/p.png"].lines == () or diffs["media/p.png"].binary


def test_concurrent_publishes_take_turns(app: Flask, files: dict[str, bytes]) -> None:
    import threading

    with app.app_context():
        publish_revision(MODULE_ID, files, author=None, message="", source="import")
    errors: list[BaseException] = []

    def publish(n: int) -> None:
        variant = {**files, "quiz.md": files["quiz.md"] + b"\n" * n}
        try:
            with app.app_context():
                publish_revision(
                    MODULE_ID, variant, author=None, message=str(n), source="import"
                )
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(n,)) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        numbers = sorted(r.number for r in store.list_revisions(MODULE_ID))
        assert numbers == [1, 2, 3, 4]
        assert store.read_counter() == 4
        assert store.current_revision(MODULE_ID).number == 4
        parents = {r.number: r.parent_id for r in store.list_revisions(MODULE_ID)}
        assert len(set(parents.values())) == 4  # a chain: each has its own parent
