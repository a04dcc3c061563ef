"""The authoring studio in a real browser, against gunicorn serving the published
content from the database (two workers following the published version).

An author adds a lesson with a deliberate error, sees it at its line (live as
they type, and after saving), fixes it, previews the lesson and submits the
draft. A second person (the demo admin: admins can do everything an author
can) reads the diff, approves and publishes. The trainee then sees the new
lesson; the history shows both revisions; a rollback takes the lesson away
again. Every page passes axe in light and dark and reflows at 320 px;
``KAPTRAIN_SCREENSHOTS=1`` saves docs/screenshots/studio-*.png.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.live_server import DEMO_PASSWORD, LiveServer, start_live_server

from .support import ROOT, Auditor, new_page, sign_in, sign_out

pytestmark = pytest.mark.browser

MODULE = "complete-module"
TITLE = "Racial trauma: a complete example module"
NEW_FILE = "03-grounding.md"
NEW_TITLE = "Grounding in session"
NEW_LESSON = """---
kind: lesson
id: grounding-in-session
title: Grounding in session
estimated_minutes: 5
objectives:
  - Describe grounding as a way back to the present
---

## A way back to the present

Offer a short grounding exercise before returning to a painful account
[@carter-2007].

![](media/model.png)
"""
ALT = "Diagram of the three parts of the model"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    modules = tmp_path_factory.mktemp("studio-content") / "modules"
    shutil.copytree(ROOT / "tests" / "content" / MODULE, modules / MODULE)
    with start_live_server(
        tmp_path_factory.mktemp("studio"),
        modules_dir=modules,
        extra_env={
            "KAPTRAIN_CONTENT_SOURCE": "database",
            "KAPTRAIN_CONTENT_POLL_SECONDS": "0.5",
            "KAPTRAIN_REVIEW_REQUIRED": "true",
        },
    ) as live:
        yield live


def _trainee_sees(server: LiveServer, text: str, present: bool) -> None:
    """The trainee's module page shows ``text`` (or not) within a few seconds."""
    trainee = server.login("trainee@example.org")
    deadline = time.monotonic() + 15
    while True:
        page = trainee.get(f"{server.url}/modules/{MODULE}", timeout=30).text
        if (text in page) == present or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert (text in page) == present, page[:2000]


def _write_lesson(page: Any, audit: Auditor) -> int:
    """Add the lesson to contents and create it, with an image lacking alt text."""
    page.get_by_label("Text of module.md").wait_for()
    source = page.get_by_label("Text of module.md")
    text = source.input_value().replace(
        "  - 02-microaggressions.md\n", f"  - 02-microaggressions.md\n  - {NEW_FILE}\n"
    )
    source.fill(text)
    page.get_by_role("button", name="Save module.md").click()
    # Wait for each form post's page before using the next form on it.
    expect(page.locator(".flashes")).to_contain_text("Saved module.md")
    page.get_by_label("New file name").fill(NEW_FILE)
    page.get_by_role("button", name="Add the file").click()
    expect(page.locator("#file-heading")).to_have_text(NEW_FILE)
    editor = page.get_by_label(f"Text of {NEW_FILE}")
    editor.fill(NEW_LESSON)
    line = NEW_LESSON.count("\n")
    # Live: the error shows while typing, before anything is saved.
    expect(page.locator("#live-problems")).to_contain_text(f"{NEW_FILE}:{line}")
    expect(page.locator("#live-problems")).to_contain_text("Error L3")
    expect(page.locator("#live-preview")).to_contain_text(NEW_TITLE)
    page.get_by_role("button", name=f"Save {NEW_FILE}").click()
    expect(page.locator(".flashes")).to_contain_text(f"Saved {NEW_FILE}")
    numbered = page.locator(f"li#L{line}")
    expect(numbered).to_contain_text("Error L3, line")
    expect(numbered).to_contain_text("alt text")
    audit.check(page, "studio editor with an error", shot=True)
    return line


def test_author_writes_reviews_publishes_and_rolls_back(
    browser: Any, server: LiveServer, audit: Auditor
) -> None:
    _trainee_sees(server, TITLE, True)
    page = new_page(browser, server.url)
    sign_in(page, "author@example.org", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Studio"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Studio")
    expect(page.locator("table.studio-modules")).to_contain_text("Revision 1")
    audit.check(page, "studio modules", shot=True)
    page.get_by_role("button", name=f"Edit {TITLE}").click()

    line = _write_lesson(page, audit)
    editor = page.get_by_label(f"Text of {NEW_FILE}")
    editor.fill(
        NEW_LESSON.replace("![](media/model.png)", f"![{ALT}](media/model.png)")
    )
    page.get_by_role("button", name=f"Save {NEW_FILE}").click()
    expect(page.locator(".flashes")).to_contain_text("no problems in it")
    expect(page.locator(f"li#L{line}")).not_to_have_class("has-problem")
    expect(page.locator(".meta").first).to_contain_text("No errors")

    page.get_by_role("link", name="Preview as a trainee").click()
    expect(page.locator("#ce-heading")).to_be_visible()
    audit.check(page, "studio preview", shot=True)
    page.get_by_role("link", name=NEW_TITLE).click()
    expect(page.locator(".prose img")).to_have_attribute("alt", ALT)
    audit.check(page, "studio preview lesson")
    page.get_by_role("link", name=f"Edit {NEW_FILE}").click()
    expect(page.locator("#file-heading")).to_have_text(NEW_FILE)
    page.get_by_label("What changed and why").fill("Add a lesson on grounding")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".flashes")).to_contain_text("Submitted for review")
    sign_out(page)

    sign_in(page, "admin@example.org", DEMO_PASSWORD)
    page.goto("/studio/")
    page.get_by_role("link", name="Review draft").first.click()
    expect(page.locator("table.diff-table").first).to_contain_text(
        "A way back to the present"
    )
    audit.check(page, "studio review", shot=True)
    page.get_by_label("Approve: ready to publish").check()
    page.get_by_label("Overall comment").fill("Clear and well cited.")
    page.get_by_role("button", name="Send the review").click()
    expect(page.locator(".flashes")).to_contain_text("Approved")
    page.goto(page.url.replace("/review", ""))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")
    expect(page.get_by_label("Version to publish")).to_have_value("1.0.1")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("History of")
    expect(page.locator("#revision-2")).to_contain_text("Add a lesson on grounding")
    expect(page.locator("#revision-1")).to_be_visible()
    audit.check(page, "studio history", shot=True)

    _trainee_sees(server, NEW_TITLE, True)

    page.get_by_role("button", name="Roll back to revision 1").click()
    expect(page.locator(".flashes")).to_contain_text("Rolled back")
    expect(page.locator("#revision-3")).to_contain_text("restores revision 1")
    _trainee_sees(server, NEW_TITLE, False)
    page.context.close()
    audit.finish()
