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
    item = re.search(
        rf'<li id="L{line}" value="{line}" class="has-problem">(.*?)</li>', page, re.S
    )
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


def test_submit_is_blocked_by_checker_errors(
    app, client, login, author, published
) -> None:  # type: ignore[no-untyped-def]
    login(author)
    draft_id = start(client)
    save(client, draft_id, LESSON, draft_text(app, draft_id, LESSON) + BROKEN_LINK)
    response = client.post(
        f"/studio/drafts/{draft_id}/submit", data={"message": "Add a link"}
    )
    assert response.status_code == 400
    assert "1 error to fix before it can be submitted" in text(
        response.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(ContentDraft, draft_id).state == "draft"


NEW_LESSON_LINE = "\nA new closing paragraph for trainees.\n"


def _submitted(app, author, published) -> tuple[Any, int]:  # type: ignore[no-untyped-def]
    from tests.support.studio import signed_in

    client = signed_in(app, author)
    draft_id = start(client)
    save(client, draft_id, LESSON, draft_text(app, draft_id, LESSON) + NEW_LESSON_LINE)
    response = client.post(
        f"/studio/drafts/{draft_id}/submit", data={"message": "Close the lesson"}
    )
    assert response.status_code == 302
    return client, draft_id


def test_two_person_rule(app, author, reviewer, published) -> None:  # type: ignore[no-untyped-def]
    from tests.support.studio import signed_in

    own, draft_id = _submitted(app, author, published)
    refused = own.post(
        f"/studio/drafts/{draft_id}/review", data={"decision": "approve", "body": "ok"}
    )
    assert refused.status_code == 400
    assert "cannot approve or reject your own draft" in text(
        refused.get_data(as_text=True)
    )
    publish = own.post(f"/studio/drafts/{draft_id}/publish", data={"version": "1.0.1"})
    assert publish.status_code == 400
    assert "must approve this draft before it is published" in text(
        publish.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(ContentDraft, draft_id).state == "in_review"
        assert db.session.query(ContentRevision).count() == 1

    other = signed_in(app, reviewer)
    page = other.get(f"/studio/drafts/{draft_id}/review").get_data(as_text=True)
    assert "A new closing paragraph for trainees." in page
    assert "Added:" in page  # the side-by-side diff marks the new line
    approved = other.post(
        f"/studio/drafts/{draft_id}/review",
        data={
            "decision": "approve",
            "body": "Reads well.",
            "note_path-1": LESSON,
            "note_line-1": "3",
            "note_body-1": "Nice title.",
        },
    )
    assert approved.status_code == 302
    with app.app_context():
        draft = db.session.get(ContentDraft, draft_id)
        assert draft.state == "approved"
    page = own.get(f"/studio/drafts/{draft_id}").get_data(as_text=True)
    assert "Nice title." in page and "Reads well." in page


def test_publish_raises_the_version_and_is_audited(
    app, author, reviewer, published
) -> None:  # type: ignore[no-untyped-def]
    from tests.support.studio import signed_in

    _own, draft_id = _submitted(app, author, published)
    other = signed_in(app, reviewer)
    other.post(f"/studio/drafts/{draft_id}/review", data={"decision": "approve"})
    same = other.post(f"/studio/drafts/{draft_id}/publish", data={"version": "1.0.0"})
    assert same.status_code == 400
    assert "must be higher than the published 1.0.0" in text(
        same.get_data(as_text=True)
    )
    bad = other.post(f"/studio/drafts/{draft_id}/publish", data={"version": "soon"})
    assert bad.status_code == 400
    assert "is not a version like 1.2.3" in text(bad.get_data(as_text=True))
    page = other.get(f"/studio/drafts/{draft_id}").get_data(as_text=True)
    assert 'value="1.0.1"' in page  # the proposed next patch version
    done = other.post(f"/studio/drafts/{draft_id}/publish", data={"version": "1.0.1"})
    assert done.status_code == 302
    with app.app_context():
        revisions = (
            db.session.query(ContentRevision).order_by(ContentRevision.number).all()
        )
        assert [(r.number, r.version, r.source) for r in revisions] == [
            (1, "1.0.0", "import"),
            (2, "1.0.1", "studio"),
        ]
        assert revisions[1].message == "Close the lesson"
        event = (
            db.session.query(AuditEvent)
            .filter_by(action="content_published", actor_label=reviewer.email)
            .one()
        )
        assert event.actor_label == reviewer.email
        assert "revision 2, version 1.0.1" in event.detail
        assert db.session.get(ContentDraft, draft_id).state == "published"
    again = other.post(f"/studio/drafts/{draft_id}/publish", data={"version": "1.0.2"})
    assert again.status_code == 302  # a double click publishes nothing more
    with app.app_context():
        assert db.session.query(ContentRevision).count() == 2
    history = other.get(f"/studio/modules/{MODULE}/history").get_data(as_text=True)
    assert "Revision 2" in history and "Close the lesson" in history
    assert "Revision 1" in history and "fixture" in history


def test_rollback_publishes_the_old_files_as_a_new_revision(
    app, author, reviewer, published
) -> None:  # type: ignore[no-untyped-def]
    from kaptrain.authoring import store
    from tests.support.studio import signed_in

    _own, draft_id = _submitted(app, author, published)
    other = signed_in(app, reviewer)
    other.post(f"/studio/drafts/{draft_id}/review", data={"decision": "approve"})
    other.post(f"/studio/drafts/{draft_id}/publish", data={"version": "1.1.0"})
    response = other.post(
        f"/studio/modules/{MODULE}/rollback", data={"number": "1", "message": "Undo"}
    )
    assert response.status_code == 302
    with app.app_context():
        current = store.current_revision(MODULE)
        first = store.get_revision(MODULE, 1)
        assert current.number == 3 and current.restored_number == 1
        assert current.content_hash == first.content_hash
        assert current.message == "Undo"
    diff = other.get(f"/studio/modules/{MODULE}/revisions/3").get_data(as_text=True)
    assert "A new closing paragraph for trainees." in diff and "Removed:" in diff


def test_without_required_review_the_owner_publishes(app, author, published) -> None:  # type: ignore[no-untyped-def]
    app.config["REVIEW_REQUIRED"] = False
    own, draft_id = _submitted(app, author, published)
    response = own.post(f"/studio/drafts/{draft_id}/publish", data={"version": "1.0.1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ContentDraft, draft_id).state == "published"


def test_double_submissions_do_one_thing(app, author, reviewer, published) -> None:  # type: ignore[no-untyped-def]
    from kaptrain.models import ContentReview
    from tests.support.studio import signed_in

    own, draft_id = _submitted(app, author, published)
    again = own.post(
        f"/studio/drafts/{draft_id}/submit", data={"message": "Close the lesson"}
    )
    assert again.status_code == 302
    other = signed_in(app, reviewer)
    for _ in range(2):
        response = other.post(
            f"/studio/drafts/{draft_id}/review",
            data={"decision": "approve", "body": "Yes"},
        )
        assert response.status_code == 302
    with app.app_context():
        assert db.session.query(ContentReview).count() == 1
        assert db.session.get(ContentDraft, draft_id).state == "approved"
