"""Two journeys on a small content folder: the fixture module plus a deliberately
broken copy of it.

* An author sees the broken module's errors, with file and line, on the content
  health page, while the good module is served to trainees.
* A trainee works through a case and the post-test with the keyboard alone,
  and every element that takes focus shows it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from kaptrain.content import Catalog, Module, build_catalog
from tests.support.live_server import DEMO_PASSWORD, LiveServer, start_live_server

from .flows import chosen_options, plan_case
from .support import ROOT, Auditor, focus_is_visible, new_page, sign_in, text_of

pytestmark = pytest.mark.browser

GOOD = "complete-module"
BROKEN = "broken-module"
MISSING_TARGET = "-> nowhere"


@pytest.fixture(scope="module")
def modules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture module, and a copy whose case points at a missing scene."""
    modules = tmp_path_factory.mktemp("content") / "modules"
    shutil.copytree(ROOT / "tests" / "content" / GOOD, modules / GOOD)
    broken = modules / BROKEN
    shutil.copytree(ROOT / "tests" / "content" / GOOD, broken)
    module_md = broken / "module.md"
    text = module_md.read_text(encoding="utf-8")
    text = text.replace(f"id: {GOOD}", f"id: {BROKEN}", 1).replace(
        "order: 1", "order: 2"
    )
    text = text.replace('title: "Racial trauma:', 'title: "Broken copy:', 1)
    module_md.write_text(text, encoding="utf-8")
    case = broken / "case-first-session.md"
    text = case.read_text(encoding="utf-8")
    assert "-> checklist" in text
    case.write_text(text.replace("-> checklist", MISSING_TARGET, 1), encoding="utf-8")
    return modules


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, modules_dir: Path
) -> Iterator[LiveServer]:
    with start_live_server(
        tmp_path_factory.mktemp("small"), modules_dir=modules_dir
    ) as live:
        yield live


@pytest.fixture(scope="module")
def catalog(modules_dir: Path) -> Catalog:
    return build_catalog(modules_dir).catalog


def test_author_sees_a_broken_module_with_file_and_line(
    browser: Any, server: LiveServer, modules_dir: Path, audit: Auditor
) -> None:
    case = modules_dir / BROKEN / "case-first-session.md"
    line = next(
        number
        for number, text in enumerate(case.read_text().splitlines(), start=1)
        if MISSING_TARGET in text
    )
    page = new_page(browser, server.url)
    sign_in(page, "author@example.org", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Content health"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Content health")
    table = page.locator("table.health-table")
    expect(table.locator("tr", has_text="Broken copy")).to_contain_text("Left out")
    expect(table.locator("tr", has_text="Racial trauma")).to_contain_text("Served")
    broken = page.locator(f'[id="module-{BROKEN}"]')
    expect(broken).to_contain_text("Error")
    expect(broken.locator(".problem-error .problem-where").first).to_contain_text(
        f"{BROKEN}/case-first-session.md:{line}"
    )
    expect(broken.locator(".problem-error").first).to_contain_text("nowhere")
    audit.check(page, "content health", shot=True)

    broken.get_by_role("link", name="Preview Broken copy").click()
    expect(page.locator(".preview-banner")).to_be_visible()
    audit.check(page, "author preview (broken)")
    page.get_by_role("link", name="A first session after a workplace incident").click()
    expect(page.locator(".preview-problems")).to_contain_text(f":{line}")
    audit.check(page, "author preview item (broken)")
    page.context.close()

    # The good module is still served to trainees; the broken one is not.
    trainee = server.login("trainee@example.org")
    catalog_page = trainee.get(f"{server.url}/modules", timeout=30).text
    assert "Racial trauma: a complete example module" in catalog_page
    assert "Broken copy" not in catalog_page
    assert trainee.get(f"{server.url}/modules/{BROKEN}", timeout=30).status_code == 404
    audit.finish()


# --- keyboard only -----------------------------------------------------------

_FOCUS_MATCHES = """([selector, text]) => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  if (selector && !el.matches(selector)) return false;
  if (text && !el.innerText.replace(/\\s+/g, ' ').trim().startsWith(text)) return false;
  return true;
}"""


class Keyboard:
    """Moves focus with Tab only, checking that every stop shows its focus."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.stops = 0

    def tab_to(
        self, selector: str | None = None, text: str | None = None, limit: int = 80
    ) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            self.stops += 1
            assert focus_is_visible(self.page), (
                "focus not visible on "
                + self.page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
            )
            if self.page.evaluate(_FOCUS_MATCHES, [selector, text]):
                return
        raise AssertionError(f"Tab never reached {selector or ''} {text or ''}")

    def activate(self, selector: str | None = None, text: str | None = None) -> None:
        """Tab to a link or button and press Enter, waiting for the next page."""
        self.tab_to(selector, text)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


def test_trainee_completes_a_case_and_the_post_test_by_keyboard(
    browser: Any, server: LiveServer, catalog: Catalog
) -> None:
    module: Module = catalog.get(GOOD)
    vignette = next(i for i in module.items if i.kind == "vignette")
    quiz = module.quiz
    page = new_page(browser, server.url)
    sign_in(page, "trainee@example.org", DEMO_PASSWORD)
    page.goto(f"/modules/{GOOD}/{vignette.id}")
    keys = Keyboard(page)

    # The skip link is the first stop and is visible when focused.
    keys.tab_to(text="Skip to main content", limit=1)
    assert page.locator(".skip-link").bounding_box()["y"] >= 0

    keys.activate(text="Start the case")
    for node_id, choice_key in plan_case(vignette):
        node = vignette.nodes[node_id]
        if node.kind == "ending":
            expect(page.get_by_role("heading", name="How it ends")).to_be_visible()
        elif node.kind == "reflection":
            keys.tab_to("textarea#reflection")
            page.keyboard.type("I noticed I wanted to fix things quickly.")
            keys.activate(text="Save to journal and continue")
        elif choice_key is not None:
            keys.activate(f'button[name="choice"][value="{choice_key}"]')
            expect(
                page.get_by_role("heading", name="Feedback on your choice")
            ).to_be_visible()
            keys.activate("a.button", "Continue")
        else:
            keys.activate("button", "Continue")

    # The case ends with a link on to the next item, the post-test.
    keys.activate("a", f"Next: {quiz.title}")
    keys.activate("button", "Start the post-test")
    for question in quiz.questions:
        picks = [text_of(o.text_html) for o in chosen_options(question, correct=True)]
        if question.type == "order":
            steps = page.evaluate(
                """(id) => [...document.getElementById('q-' + id + '-1').options]
                  .map(o => o.textContent.replace(/\\s+/g, ' ').trim())""",
                question.id,
            )
            for position, text in enumerate(picks, start=1):
                select = f'[id="q-{question.id}-{position}"]'
                keys.tab_to(select)
                for _ in range(steps.index(text)):
                    page.keyboard.press("ArrowDown")
                assert (
                    page.locator(select).evaluate(
                        "s => s.options[s.selectedIndex].textContent.trim()"
                    )
                    == text
                )
            continue
        labels = page.evaluate(
            """(id) => [...document.querySelectorAll('#q-' + CSS.escape(id) + ' label')]
              .map(l => l.textContent.replace(/\\s+/g, ' ').trim())""",
            question.id,
        )
        if question.type == "multiple":
            for index, label in enumerate(labels, start=1):
                keys.tab_to(f'[id="q-{question.id}-{index}"]')
                if label in picks:
                    page.keyboard.press("Space")
        else:
            keys.tab_to(f'input[name="q-{question.id}"]')
            target = labels.index(picks[0])
            page.keyboard.press("Space" if target == 0 else "ArrowDown")
            for _ in range(max(target - 1, 0)):
                page.keyboard.press("ArrowDown")
        for index, label in enumerate(labels, start=1):
            checked = page.locator(f'[id="q-{question.id}-{index}"]').is_checked()
            assert checked == (label in picks), (question.id, label)
    keys.activate("button", "Submit answers")
    status = page.get_by_role("status").filter(has_text="You scored")
    expect(status).to_contain_text("You scored 100%")
    expect(status).to_contain_text("Passed")
    assert keys.stops > 20
    page.context.close()
