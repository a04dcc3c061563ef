"""End-to-end journeys on the real curriculum, in Chromium against gunicorn.

The trainee journey registers a new account and earns a certificate in the first
module; the supervisor journey then finds that trainee. Every page on the way is
checked with axe (light and dark) and for reflow at 320 px, and the key pages are
saved as screenshots when ``KAPTRAIN_SCREENSHOTS=1``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from kaptrain.content import Catalog, Module, build_catalog
from tests.support.live_server import DEMO_PASSWORD, LiveServer, start_live_server
from tests.support.mail import Mailbox, mail_in_folder
from tests.support.mfa import CODES

from .flows import answer_quiz, items_of, plan_case
from .support import ROOT, Auditor, enter_code, new_page, sign_in, sign_out

pytestmark = pytest.mark.browser

TRAINEE_NAME = "Amara Okafor"
TRAINEE_EMAIL = "amara.okafor@example.org"
TRAINEE_PASSWORD = "copper-meadow-violin-52"
REFLECTION = (
    "I noticed my shoulders tighten when she described the meeting.\n"
    "I want to slow down and ask what she needs before I reach for a plan."
)
COMMENT = "Good noticing. Bring this to supervision on Thursday."

# What the trainee journey leaves for the supervisor journey.
STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_live_server(tmp_path_factory.mktemp("journeys")) as live:
        yield live


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog(ROOT / "modules").catalog


@pytest.fixture(scope="module")
def module(catalog: Catalog) -> Module:
    """The first module with no prerequisites (the curriculum's opening module)."""
    return next(m for m in catalog.modules if not m.prerequisites)


def invite_code(server: LiveServer) -> str:
    out = server.flask("demo").stdout
    match = re.search(r"invite code ([A-Z0-9-]+)\)", out)
    assert match, out
    return match.group(1)


def end_retry_wait(server: LiveServer, email: str) -> None:
    """Move the trainee's submitted post-test attempts back past any retry wait,
    as if the wait had been sat out (the server reads the time from the row)."""
    from kaptrain import create_app
    from kaptrain.extensions import db
    from kaptrain.models import QuizAttempt, User
    from tests.support.settings import base_config

    app = create_app(base_config(server.database_url))
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=email)).scalar_one()
        for attempt in db.session.execute(
            db.select(QuizAttempt).filter_by(user_id=user.id)
        ).scalars():
            if attempt.submitted_at is not None:
                attempt.submitted_at -= dt.timedelta(days=1)
                attempt.started_at -= dt.timedelta(days=1)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def nav_link(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def item_url(module: Module, item_id: str) -> str:
    return f"/modules/{module.id}/{item_id}"


def test_trainee_registers_learns_and_earns_a_certificate(
    browser: Any, server: LiveServer, module: Module, audit: Auditor
) -> None:
    page = new_page(browser, server.url)

    # Register with the cohort's invite code.
    page.goto("/register")
    audit.check(page, "register")
    page.locator("#invite_code").fill(invite_code(server).lower())
    page.locator("#name").fill(TRAINEE_NAME)
    page.locator("#email").fill(TRAINEE_EMAIL)
    page.get_by_role("button", name="Continue").click()
    # Issue 13: the password is chosen from the link mailed to the address (the
    # live server writes development mail to instance/mail/).
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    audit.check(page, "register: check your e-mail")
    mail = mail_in_folder(server.instance_dir / "mail", TRAINEE_EMAIL, "Finish")
    link = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", Mailbox.text(mail))
    assert link, Mailbox.text(mail)
    page.goto(link.group(1))
    audit.check(page, "register: choose a password")
    page.locator("#password").fill(TRAINEE_PASSWORD)
    page.locator("#confirm").fill(TRAINEE_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text(f"Welcome, {TRAINEE_NAME}").first).to_be_visible()
    audit.check(page, "home (trainee)")

    # The catalog, then the module.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Modules"
    ).click()
    audit.check(page, "catalog", shot=True)
    page.get_by_role("link", name=module.title, exact=True).click()
    audit.check(page, "module", shot=True)

    # Pre-test: answered (wrongly, as a newcomer might), scored without feedback.
    page.get_by_role("button", name="Take the pre-test").first.click()
    expect(page.get_by_text("Pre-test ·")).to_be_visible()
    audit.check(page, "quiz attempt")
    answer_quiz(page, module.quiz, correct=False)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("You scored")).to_be_visible()
    audit.check(page, "pre-test result")

    # Read every lesson and mark it complete.
    for number, lesson in enumerate(items_of(module, "lesson")):
        page.goto(item_url(module, lesson.id))
        if lesson.content_note:
            if number == 0:
                audit.check(page, "content note")
            page.get_by_role("link", name="Continue to the lesson").click()
        assert page.get_by_role("heading", level=1).inner_text() == lesson.title
        if number == 0:
            audit.check(page, "lesson", shot=True)
        page.get_by_role("button", name="Mark as complete").click()
        expect(
            page.get_by_text(f"“{lesson.title}” marked as complete.")
        ).to_be_visible()

    # Post-test: fail, then pass.
    quiz = module.quiz
    page.goto(item_url(module, quiz.id))
    audit.check(page, "quiz")
    page.get_by_role("button", name="Start the post-test").click()
    answer_quiz(page, quiz, correct=False)
    page.get_by_role("button", name="Submit answers").click()
    status = page.get_by_role("status").filter(has_text="You scored")
    expect(status).to_contain_text("Not passed")
    # The post-test sets a wait between attempts: no retry until it has passed.
    expect(page.get_by_text("Your next attempt opens at")).to_be_visible()
    expect(page.get_by_role("button", name="Try again")).to_have_count(0)
    end_retry_wait(server, TRAINEE_EMAIL)
    page.reload()
    page.get_by_role("button", name="Try again").click()
    answer_quiz(page, quiz, correct=True)
    page.get_by_role("button", name="Submit answers").click()
    expect(status).to_contain_text("You scored 100%")
    expect(status).to_contain_text("Passed")
    audit.check(page, "quiz result", shot=True)

    # Every case, along a path through its reflection.
    for number, vignette in enumerate(items_of(module, "vignette")):
        walk_case(page, module, vignette, audit if number == 0 else None)

    # The journal: share the reflection with the supervisor, look at the edit form.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Journal"
    ).click()
    entry = page.locator(".journal-entry").filter(has_text=REFLECTION.splitlines()[0])
    entry.first.get_by_role("button", name="Share with my supervisor").click()
    entry = page.locator(".journal-entry").filter(has_text=REFLECTION.splitlines()[0])
    assert "Shared with your supervisor" in entry.first.inner_text()
    audit.check(page, "journal", shot=True)
    entry.first.get_by_role("link", name=re.compile("^Edit")).click()
    audit.check(page, "journal edit")
    page.get_by_role("link", name="Cancel").click()

    # The evaluation completes the module.
    evaluation = module.evaluation
    page.goto(item_url(module, evaluation.id))
    audit.check(page, "evaluation")
    for rating_id, _statement in evaluation.ratings:
        page.locator(f'[id="rating-{rating_id}-4"]').check()
    for comment_id, _prompt in evaluation.comments[:1]:
        page.locator(f'[id="comment-{comment_id}"]').fill("Clear and well cited.")
    page.get_by_role("button", name="Submit the evaluation").click()
    expect(page.get_by_text("Module complete")).to_be_visible()

    # Progress, certificate, PDF and the public verification page.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Progress"
    ).click()
    audit.check(page, "progress", shot=True)
    page.get_by_role("link", name=f"View certificate for {module.title}").click()
    expect(page.get_by_text(TRAINEE_NAME).first).to_be_visible()
    audit.check(page, "certificate", shot=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    verify_url = page.locator("a[href*='/verify/KT-']").get_attribute("href")
    code = page.locator(".certificate-facts code").inner_text()
    STATE.update(code=code, verify_url=verify_url)

    page.get_by_role("link", name=TRAINEE_NAME).click()
    audit.check(page, "account")
    sign_out(page)

    # Anyone can check the certificate, without signing in.
    page.goto(verify_url)
    expect(page.get_by_role("heading", name="Certificate verified")).to_be_visible()
    expect(page.get_by_text(TRAINEE_NAME)).to_be_visible()
    expect(page.get_by_text(code)).to_be_visible()
    audit.check(page, "verify")
    STATE["trainee_done"] = True
    page.context.close()
    audit.finish()


def walk_case(page: Any, module: Module, vignette: Any, audit: Auditor | None) -> None:
    """Run a case from its intro to an ending, writing the reflection."""
    check = audit.check if audit else (lambda *a, **k: None)
    page.goto(item_url(module, vignette.id))
    check(page, "case intro")
    page.get_by_role("button", name=re.compile("^(Start|Run) the case")).click()
    shown_scene = shown_feedback = False
    for node_id, choice_key in plan_case(vignette):
        node = vignette.nodes[node_id]
        if node.kind == "ending":
            expect(page.get_by_role("heading", name="How it ends")).to_be_visible()
            check(page, "case ending")
        elif node.kind == "reflection":
            check(page, "reflection", shot=True)
            page.get_by_label("Reflection").fill(REFLECTION)
            page.get_by_role("button", name="Save to journal and continue").click()
        elif choice_key is not None:
            if not shown_scene:
                check(page, "vignette", shot=True)
                shown_scene = True
            page.locator(f'button[name="choice"][value="{choice_key}"]').click()
            expect(
                page.get_by_role("heading", name="Feedback on your choice")
            ).to_be_visible()
            if not shown_feedback:
                check(page, "vignette feedback", shot=True)
                shown_feedback = True
            page.get_by_role("link", name="Continue", exact=True).click()
        else:
            page.get_by_role("button", name="Continue", exact=True).click()


def test_supervisor_follows_the_trainee(
    browser: Any, server: LiveServer, module: Module, audit: Auditor
) -> None:
    assert STATE.get("trainee_done"), "needs the trainee journey (run the module)"
    page = new_page(browser, server.url)
    sign_in(page, "supervisor@example.org", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Cohorts"
    ).click()
    audit.check(page, "cohorts")
    page.get_by_role("link", name="Demo cohort").first.click()
    matrix = page.locator("table.matrix")
    assert TRAINEE_NAME in matrix.inner_text()
    assert "Completed" in matrix.locator("tr", has_text=TRAINEE_NAME).inner_text()
    audit.check(page, "supervisor dashboard", shot=True)

    # Both CSV exports, with the trainee in them.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download progress (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(read_text(download.value))))
    assert any(TRAINEE_EMAIL in row.values() for row in rows), rows[:2]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all quiz answers (CSV)").click()
    answers = read_text(download.value)
    assert TRAINEE_EMAIL in answers
    assert len(answers.splitlines()) > 2 * len(module.quiz.questions)

    # Item analysis for the module, then knowledge gain and members.
    page.get_by_role("link", name=f"Items of {module.title}").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Item analysis")
    audit.check(page, "item analysis", shot=True)
    page.go_back()
    page.get_by_role("link", name="Knowledge gain", exact=True).click()
    assert TRAINEE_NAME in page.locator("main").inner_text()
    audit.check(page, "knowledge gain")
    page.get_by_role("link", name="Members and invite code").click()
    audit.check(page, "members")

    # The trainee's page: comment on the shared reflection.
    page.get_by_role("link", name=TRAINEE_NAME).first.click()
    audit.check(page, "trainee detail", shot=True)
    entry = page.locator("article.entry").filter(has_text=REFLECTION.splitlines()[0])
    entry.get_by_role("textbox").fill(COMMENT)
    entry.get_by_role("button", name="Add comment").click()
    entry = page.locator("article.entry").filter(has_text=REFLECTION.splitlines()[0])
    assert COMMENT in entry.inner_text()

    # Replay the case run, reflection included.
    page.get_by_role("link", name=module.title, exact=True).first.click()
    replay = page.locator("section.run").filter(has_text=REFLECTION.splitlines()[1])
    assert "Ending" in replay.inner_text()
    assert REFLECTION.splitlines()[1] in replay.inner_text()
    audit.check(page, "trainee module replay", shot=True)
    page.context.close()

    # The trainee sees the comment under the reflection in the journal.
    page = new_page(browser, server.url)
    sign_in(page, TRAINEE_EMAIL, TRAINEE_PASSWORD)
    page.goto("/journal")
    entry = page.locator(".journal-entry").filter(has_text=REFLECTION.splitlines()[0])
    assert COMMENT in entry.first.inner_text()
    assert "Demo Supervisor" in entry.first.inner_text()
    page.context.close()
    audit.finish()


def read_text(download: Any) -> str:
    return Path(download.path()).read_text(encoding="utf-8-sig")


PUBLIC_PAGES = [
    ("home", "/"),
    ("sign in", "/login"),
    ("verify form", "/verify"),
    ("verify missing", "/verify/KT-0000-0000-0000"),
    ("support", "/support"),
    ("not found", "/no-such-page"),
]


def test_every_other_page_type_passes_the_audit(
    browser: Any, server: LiveServer, module: Module, audit: Auditor
) -> None:
    """Public, author, admin and account pages, each role signed in in turn."""
    page = new_page(browser, server.url)
    for name, path in PUBLIC_PAGES:
        page.goto(path)
        audit.check(page, name, shot=name == "home")

    # Landmarks, and a form error tied to its field.
    page.goto("/login")
    for role in ("banner", "main", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    email = page.locator("#email")
    expect(email).to_have_attribute("aria-invalid", "true")
    described = email.get_attribute("aria-describedby") or ""
    assert "email-error" in described.split()
    expect(page.locator("#email-error")).to_contain_text("email address")
    audit.check(page, "sign in with errors")

    sign_in(page, "author@example.org", DEMO_PASSWORD)
    lesson = items_of(module, "lesson")[0]
    vignette = items_of(module, "vignette")[0]
    for name, path in [
        ("content health (real modules)", "/author/"),
        ("author preview", f"/author/preview/{module.path.name}"),
        ("author preview lesson", f"/author/preview/{module.path.name}/{lesson.id}"),
        ("author preview quiz", f"/author/preview/{module.path.name}/{module.quiz.id}"),
        ("author preview case", f"/author/preview/{module.path.name}/{vignette.id}"),
        ("author item analysis", "/author/analysis"),
        ("author item analysis module", f"/author/analysis/{module.id}"),
    ]:
        page.goto(path)
        audit.check(page, name)
    sign_out(page)

    sign_in(page, "admin@example.org", DEMO_PASSWORD)
    page.goto("/admin/users")
    audit.check(page, "admin users")
    page.get_by_role("link", name="Demo Trainee", exact=True).click()
    audit.check(page, "admin user detail")
    page.goto("/admin/audit")
    audit.check(page, "admin audit log")
    page.goto("/admin/audit?action=security&from=2026-13-01")
    audit.check(page, "admin audit log, security events, a mistyped date")
    page.goto("/admin/ce")
    audit.check(page, "admin CE audit packets")
    page.goto("/admin/xapi")
    audit.check(page, "admin xAPI outbox")
    page.goto("/account/sessions")
    audit.check(page, "your sessions")
    page.goto("/account/password")
    audit.check(page, "change password")
    page.goto("/account/delete")
    audit.check(page, "delete account")
    page.context.close()
    audit.finish()


def test_trainee_turns_on_two_step_sign_in_and_signs_in_with_a_code(
    browser: Any, server: LiveServer, audit: Auditor
) -> None:
    """Enrolment (QR code and key, a wrong code, then the right one, the
    recovery codes), and the next sign-in with a code, all at zero axe
    violations."""
    email = "trainee2@example.org"
    page = new_page(browser, server.url)
    sign_in(page, email, DEMO_PASSWORD)
    page.goto("/account")
    page.get_by_role("link", name="Two-step sign-in").click()
    audit.check(page, "two-step sign-in (off)")
    page.get_by_role("link", name="Set up two-step sign-in").click()
    expect(page.get_by_role("img", name="QR code to scan")).to_be_visible()
    audit.check(page, "two-step sign-in setup", shot=True)
    secret = page.locator("code.secret").inner_text().replace(" ", "")

    code_field = page.get_by_label("6-digit code your app shows now")
    code_field.fill("000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code does not match")
    audit.check(page, "two-step sign-in setup with an error")
    assert page.locator("code.secret").inner_text().replace(" ", "") == secret
    code_field.fill(CODES.next(secret, f"{server.url}|{email}"))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    audit.check(page, "recovery codes", shot=True)
    page.get_by_role("link", name="I have saved my codes, continue").click()
    page.goto("/account/mfa")
    audit.check(page, "two-step sign-in (on)")
    sign_out(page)

    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    audit.check(page, "sign-in code")
    enter_code(page, "12345x")
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    audit.check(page, "sign-in code with an error")
    enter_code(page, CODES.next(secret, f"{server.url}|{email}"))
    assert "/login" not in page.url  # signed in, on the trainee's home page
    page.goto("/account/confirm")
    audit.check(page, "confirm it is you")
    page.context.close()
    audit.finish()
