"""Two drafts of one module: publishing one makes the other stale; rebasing takes
the published files the author did not touch, keeps theirs, shows both versions
of files changed on both sides, and never loses typed text."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask

from kaptrain.authoring import store
from kaptrain.extensions import db
from kaptrain.models import ContentDraft
from tests.support.studio import (
    LESSON,
    MODULE,
    draft_text,
    editor,
    lock_version,
    publish_fixture,
    save,
    signed_in,
    start,
)

pytestmark = pytest.mark.content(None)
SECOND = "02-microaggressions.md"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"REVIEW_REQUIRED": False}


def page_text(response: Any) -> str:
    body = response if isinstance(response, str) else response.get_data(as_text=True)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_stale_draft_rebase(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    ada, bo = signed_in(app, make_user("author")), signed_in(app, make_user("author"))
    first, second = start(ada), start(bo)
    lesson = draft_text(app, first, LESSON)
    evaluation = draft_text(app, first, "evaluation.md")
    save(ada, first, LESSON, lesson + "\nAda's closing line.\n")
    save(
        ada,
        first,
        "evaluation.md",
        evaluation.replace(
            "The objectives were met.", "The objectives were fully met."
        ),
    )
    save(bo, second, LESSON, lesson + "\nBo's closing line.\n")
    bo_second = draft_text(app, second, SECOND) + "\nBo's note on microaggressions.\n"
    save(bo, second, SECOND, bo_second)
    assert (
        ada.post(
            f"/studio/drafts/{first}/publish", data={"version": "1.0.1"}
        ).status_code
        == 302
    )

    page = editor(bo, second, LESSON)
    assert "The published module changed underneath this draft" in page_text(page)
    assert "evaluation.md" in page and "fully met" in page
    response = bo.post(
        f"/studio/drafts/{second}/rebase", data={"lock_version": lock_version(page)}
    )
    assert response.status_code == 302

    # Untouched by Bo: the published versions. Touched only by Bo: Bo's.
    assert "fully met" in draft_text(app, second, "evaluation.md")
    assert "version: 1.0.1" in draft_text(app, second, "module.md")
    assert draft_text(app, second, SECOND) == bo_second
    # Changed by both: Bo's text stays, both versions are shown.
    assert "Bo's closing line." in draft_text(app, second, LESSON)
    with app.app_context():
        draft = db.session.get(ContentDraft, second)
        assert draft.conflict_paths == [LESSON]
        assert draft.base_number == store.current_revision(MODULE).number == 2
    page = editor(bo, second, LESSON)
    shown = page_text(page)
    assert f"{LESSON} changed both here and in the published module" in shown
    assert "Ada's closing line." in shown and "Bo's closing line." in shown
    assert "The published module changed underneath" not in shown

    blocked = bo.post(f"/studio/drafts/{second}/submit", data={"message": "Bo's edits"})
    assert blocked.status_code == 400
    assert (
        "Settle the files changed both here and in the published module"
        in page_text(blocked)
    )

    settle = bo.post(
        f"/studio/drafts/{second}/settle",
        data={"path": LESSON, "keep": "mine", "lock_version": lock_version(page)},
    )
    assert settle.status_code == 302
    assert (
        bo.post(
            f"/studio/drafts/{second}/publish", data={"version": "1.0.2"}
        ).status_code
        == 302
    )
    with app.app_context():
        files = store.read_files(store.current_revision(MODULE))
    assert b"Bo's closing line." in files[LESSON] and b"Ada's" not in files[LESSON]
    assert b"fully met" in files["evaluation.md"]


def test_take_the_published_version(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    ada, bo = signed_in(app, make_user("author")), signed_in(app, make_user("author"))
    first, second = start(ada), start(bo)
    lesson = draft_text(app, first, LESSON)
    save(ada, first, LESSON, lesson + "\nAda.\n")
    save(bo, second, LESSON, lesson + "\nBo.\n")
    ada.post(f"/studio/drafts/{first}/publish", data={"version": "1.1.0"})
    bo.post(
        f"/studio/drafts/{second}/rebase",
        data={"lock_version": lock_version(editor(bo, second))},
    )
    bo.post(
        f"/studio/drafts/{second}/settle",
        data={
            "path": LESSON,
            "keep": "published",
            "lock_version": lock_version(editor(bo, second)),
        },
    )
    assert draft_text(app, second, LESSON).endswith("\nAda.\n")


def test_a_stale_form_keeps_the_typed_text(
    app: Flask, client, login, make_user
) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    login(make_user("author"))
    draft_id = start(client)
    old = lock_version(editor(client, draft_id, LESSON))
    save(client, draft_id, LESSON, "First tab's text\n")
    typed = "Second tab's text that must not be lost\n"
    response = save(client, draft_id, LESSON, typed, lock_version=old)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert html.escape(
        typed.strip(), quote=True
    ) in body or typed.strip() in html.unescape(body)
    assert "Your text is kept below" in page_text(response)
    assert draft_text(app, draft_id, LESSON) == "First tab's text\n"
