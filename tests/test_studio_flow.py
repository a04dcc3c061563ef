"""The studio end to end through its forms: errors at their line, submit blocked by
errors, the two-person rule, publishing raises the version, history, rollback."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, ContentDraft, ContentRevision
from tests.support.studio import (
    LESSON,
    MODULE,
    draft_text,
    editor,
    lock_version,
    publish_fixture,
    save,
    start,
)

pytestmark = pytest.mark.content(None)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"REVIEW_REQUIRED": True, "CONTENT_CACHE_DIR": None}


@pytest.fixture
def published(app: Flask) -> None:
    publish_fixture(app)


@pytest.fixture
def author(app, make_user):  # type: ignore[no-untyped-def]
    return make_user("author", name="Ada Author")


@pytest.fixture
def reviewer(app, make_user):  # type: ignore[no-untyped-def]
    return make_user("author", name="Rita Reviewer")


def text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


BROKEN_LINK = "\nSee [a missing page](no-such-file.md).\n"


def test_save_shows_every_problem_beside_its_line(
    app, client, login, author, published
) -> None:  # type: ignore[no-untyped-def]
    login(author)
    draft_id = start(client)
    original = draft_text(app, draft_id, LESSON)
    typed = original + BROKEN_LINK
    response = save(client, draft_id, LESSON, typed)
    assert response.status_code == 302
    assert draft_text(app, draft_id, LESSON) == typed
    page = editor(client, draft_id, LESSON)
    line = typed.count("\n")  # the link is on the last line
    item = re.search(rf'<li id="L{line}" value="{line}" class="has-problem">(.*?)</li>', page, re.S)
    assert item, page
    assert "Error L1, line" in item.group(1)
    assert "no-such-file.md" in html.unescape(item.group(1))
    assert f"{LESSON}:{line}" in page
    # The same code and message as `content check`.
    from kaptrain.authoring.drafts import draft_files, get_draft
    from kaptrain.authoring.workspace import check_draft

    with app.app_context():
        found = check_draft(
            draft_files(get_draft(draft_id)), folder=MODULE, module_id=MODULE
        ).for_file(LESSON)
    assert [(p.code, p.line) for p in found] == [("L1", line)]
    assert found[0].message in html.unescape(page)


def test_submit_is_blocked_by_checker_errors(app, client, login, author, published) -> None:  # type: ignore[no-untyped-def]
    login(author)
    draft_id = start(client)
    save(client, draft_id, LESSON, draft_text(app, draft_id, LESSON) + BROKEN_LINK)
    response = client.post(f"/studio/drafts/{draft_id}/submit", data={"message": "Add a link"})
    assert response.status_code == 400
    assert "1 error to fix before it can be submitted" in text(response.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(ContentDraft, draft_id).state == "draft"
