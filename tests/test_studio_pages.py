"""Studio pages: the modules list, a new module from the template, the preview
as a trainee sees it, the live check, and an admin's own draft."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from flask import Flask

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


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"REVIEW_REQUIRED": False}


def page_text(body: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_modules_list_shows_revision_drafts_and_reviews(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    ada = make_user("author", name="Ada Author")
    client = signed_in(app, ada)
    draft_id = start(client)
    save(client, draft_id, LESSON, draft_text(app, draft_id, LESSON) + "\nMore.\n")
    client.post(f"/studio/drafts/{draft_id}/submit", data={"message": "More"})
    shown = page_text(client.get("/studio/").get_data(as_text=True))
    assert "Revision 1 · v1.0.0" in shown
    assert f"Draft {draft_id} by Ada Author In review" in shown
    assert f"Review draft {draft_id} (yours)" in shown


def test_new_module_from_the_template_checks_clean(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    client = signed_in(app, make_user("author"))
    bad = client.post("/studio/new", data={"module_id": "Bad Id!", "title": "Grief"})
    assert bad.status_code == 400
    assert "lower-case letters, digits and hyphens" in page_text(
        bad.get_data(as_text=True)
    )
    assert 'value="Bad Id!"' in bad.get_data(as_text=True)  # what was typed stays
    taken = client.post("/studio/new", data={"module_id": MODULE, "title": "Again"})
    assert "is published already" in page_text(taken.get_data(as_text=True))
    response = client.post(
        "/studio/new", data={"module_id": "grief-and-loss", "title": "Grief and loss"}
    )
    assert response.status_code == 302
    draft_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    page = editor(client, draft_id)
    assert "No errors" in page_text(page)
    from kaptrain.authoring.drafts import draft_files, get_draft
    from kaptrain.authoring.workspace import check_draft

    with app.app_context():
        files = draft_files(get_draft(draft_id))
        problems = check_draft(
            files, folder="grief-and-loss", module_id="grief-and-loss"
        ).checked.problems
    assert problems == ()  # not even a strict-only warning
    assert set(files) == {
        "module.md",
        "01-first-lesson.md",
        "quiz.md",
        "evaluation.md",
        "references.yaml",
    }
    assert b"order: 2" in files["module.md"]  # after the published module
    published = client.post(
        f"/studio/drafts/{draft_id}/publish", data={"version": "0.1.1"}
    )
    assert published.status_code == 302


def test_preview_as_a_trainee_sees_it(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    client = signed_in(app, make_user("author"))
    draft_id = start(client)
    overview = page_text(
        client.get(f"/studio/drafts/{draft_id}/preview").get_data(as_text=True)
    )
    assert "CE hours claimed 1 (60 minutes)" in overview
    assert "Post-test items 6" in overview and "Items per CE hour 6.0" in overview
    quiz = page_text(
        client.get(f"/studio/drafts/{draft_id}/preview/post-test").get_data(
            as_text=True
        )
    )
    assert "Correct An injury, including harm from nonviolent encounters" in quiz
    case = client.get(f"/studio/drafts/{draft_id}/preview/first-session").get_data(
        as_text=True
    )
    first_choice = re.search(r'href="([^"]*\?node=[^"]+)"', case)
    assert first_choice, case
    step = client.get(html.unescape(first_choice.group(1)))
    assert step.status_code == 200 and "Node" in page_text(step.get_data(as_text=True))
    assert (
        client.get(
            f"/studio/drafts/{draft_id}/preview/first-session?node=nowhere"
        ).status_code
        == 404
    )
    image = client.get(f"/studio/drafts/{draft_id}/media/model.png")
    assert image.status_code == 200 and image.mimetype == "image/png"


def test_preview_runs_no_author_script(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    client = signed_in(app, make_user("author"))
    draft_id = start(client)
    hostile = (
        draft_text(app, draft_id, LESSON)
        + '\n<script>alert("x")</script>\n\n[click](javascript:alert(1))\n'
        + '\n<img src=x onerror="alert(1)">\n'
    )
    save(client, draft_id, LESSON, hostile)
    response = client.get(f"/studio/drafts/{draft_id}/preview/defining-racial-trauma")
    body = response.get_data(as_text=True)
    # Raw HTML is shown as text (escaped), never as a tag.
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;img src=x onerror" in body or "onerror" not in body
    assert 'href="javascript:' not in body
    assert "Error L5" in page_text(body)  # the checker names the link
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_live_check_reports_unsaved_text_without_saving(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    client = signed_in(app, make_user("author"))
    draft_id = start(client)
    saved = draft_text(app, draft_id, LESSON)
    typed = saved + "\n![](media/model.png)\n"
    response = client.post(
        f"/studio/drafts/{draft_id}/check", data={"path": LESSON, "text": typed}
    )
    data = json.loads(response.get_data(as_text=True))
    assert [
        (p["code"], p["line"]) for p in data["problems"] if p["path"] == LESSON
    ] == [("L3", typed.count("\n"))]
    assert data["errors"] == 1
    assert "Defining racial trauma" in data["preview"]
    assert draft_text(app, draft_id, LESSON) == saved


def test_an_admin_edits_and_publishes_their_own_draft(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    admin = signed_in(app, make_user("admin"))
    draft_id = start(admin)
    assert (
        save(
            admin, draft_id, LESSON, draft_text(app, draft_id, LESSON) + "\nAdmin.\n"
        ).status_code
        == 302
    )
    assert (
        admin.post(
            f"/studio/drafts/{draft_id}/publish", data={"version": "1.0.1"}
        ).status_code
        == 302
    )
    history = page_text(
        admin.get(f"/studio/modules/{MODULE}/history").get_data(as_text=True)
    )
    assert "Revision 2 Published" in history


def test_another_author_may_read_but_not_change_a_draft(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    owner = signed_in(app, make_user("author"))
    other = signed_in(app, make_user("author"))
    draft_id = start(owner)
    page = editor(other, draft_id, LESSON)
    assert 'id="source"' not in page  # no textarea for a reader
    assert (
        save(other, draft_id, LESSON, "mine now\n", lock_version="1").status_code == 403
    )
    assert other.get("/studio/drafts/99999999999999999999").status_code == 404


def test_starting_twice_opens_the_same_draft(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    client = signed_in(app, make_user("author"))
    assert start(client) == start(client)
    data = {"module_id": "grief-and-loss", "title": "Grief"}
    first = client.post("/studio/new", data=data).headers["Location"]
    assert client.post("/studio/new", data=data).headers["Location"] == first


def test_publish_offers_the_version_the_author_raised(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    client = signed_in(app, make_user("author"))
    draft_id = start(client)
    page = editor(client, draft_id)
    assert 'value="1.0.1"' in page  # the next patch version
    text = draft_text(app, draft_id, "module.md").replace(
        "version: 1.0.0", "version: 2.0.0"
    )
    save(client, draft_id, "module.md", text)
    assert 'value="2.0.0"' in editor(client, draft_id)


def test_file_names_the_editor_refuses(app: Flask, make_user) -> None:  # type: ignore[no-untyped-def]
    publish_fixture(app)
    client = signed_in(app, make_user("author"))
    draft_id = start(client)
    version = lock_version(editor(client, draft_id))
    for path, says in (
        ("notes.txt", "end the name with .md or .yaml"),
        ("media/model.png", "end the name with .md or .yaml"),
        ("../up.md", "no part of a path may be empty or start with"),
        (LESSON, "exists already"),
    ):
        response = client.post(
            f"/studio/drafts/{draft_id}/files",
            data={"new_path": path, "lock_version": version},
        )
        assert response.status_code == 400, path
        assert says in html.unescape(response.get_data(as_text=True)), path
    renamed = client.post(
        f"/studio/drafts/{draft_id}/rename",
        data={
            "path": "media/model.png",
            "new_path": "media/x.md",
            "lock_version": version,
        },
    )
    assert renamed.status_code == 400
    assert "an image stays in media/" in html.unescape(renamed.get_data(as_text=True))
