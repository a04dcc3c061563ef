"""CE paperwork on the trainee's pages (issue 16): planners, disclosures and the
provider's statements on the module page; a failed post-test's review that does
not give the key away while attempts remain."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kaptrain.content import run_check
from kaptrain.extensions import db
from kaptrain.models import QuizAttempt
from tests.support.learn import (
    MODULE_ID,
    fixture_config,
    start_post_test,
    submit_attempt,
)

CONTENT = Path(__file__).parent / "content"
TEAM = """  - name: "kaptrain content team"
    credentials: "Not recorded"
    role: author
    disclosure: none
"""
PLANNERS = """  - name: "A. Example, PhD"
    credentials: "Licensed psychologist"
    role: author
    disclosure: none
  - name: "B. Reviewer"
    credentials: "Not recorded"
    role: reviewer
    disclosure: "Receives royalties from a textbook on cultural formulation."
"""
EXPLANATION = "The injury framing keeps the focus"


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    edit = {"module.md": f"{TEAM}=>{PLANNERS}"}
    return {
        **fixture_config(tmp_path, edit=edit),
        "COMMERCIAL_SUPPORT": "This activity received no commercial support.",
        "COI_POLICY": "Everyone in control of content discloses relationships.",
        "GRIEVANCE_URL": "https://example.org/ce/grievances",
        "PROVIDER_CONTACT": "ce-office@example.org",
    }


def test_module_page_shows_planners_and_statements_before_starting(
    client: Any, trainee: Any
) -> None:
    page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    section = page[page.index('id="disclosures-heading"') :]
    assert page.index('id="disclosures-heading"') < page.index('id="overview-heading"')
    assert "<td>A. Example, PhD</td><td>Licensed psychologist</td><td>Author</td>" in (
        section
    )
    assert "<td>None</td>" in section
    assert "Receives royalties from a textbook on cultural formulation." in section
    assert "<dd>Approval 123</dd>" in section
    assert "This activity received no commercial support." in section
    assert "Everyone in control of content discloses relationships." in section
    assert 'href="https://example.org/ce/grievances"' in section
    assert "ce-office@example.org" in section


def test_strict_check_fails_a_module_without_planners(tmp_path: Path) -> None:
    module = tmp_path / "honest-module"
    shutil.copytree(CONTENT / "honest-module", module)
    text = (module / "module.md").read_text(encoding="utf-8")
    start, end = text.index("planners:"), text.index("---", 10)
    (module / "module.md").write_text(text[:start] + text[end:], encoding="utf-8")

    out = io.StringIO()
    assert run_check(module, out=out) == 0
    out = io.StringIO()
    assert run_check(module, out=out, strict=True) == 1
    assert "honest-module/module.md:1: warning M18: module.md lists no planners" in (
        out.getvalue()
    )


def _age(app: Any) -> None:
    with app.app_context():
        for attempt in db.session.execute(select(QuizAttempt)).scalars():
            if attempt.submitted_at:
                attempt.submitted_at -= dt.timedelta(minutes=30)
        db.session.commit()


def _review(client: Any, attempt: Any) -> str:
    url = f"/modules/{MODULE_ID}/post-test/attempts/{attempt.id}"
    return client.get(url).get_data(as_text=True)


def test_failed_review_hides_explanations_until_attempts_run_out(
    app: Any, client: Any, trainee: Any
) -> None:
    first = start_post_test(client, app, trainee)
    submit_attempt(client, app, first, correct=False)
    page = _review(client, first)
    assert "Not passed" in page
    assert EXPLANATION not in page
    assert "The explanation appears once you pass or have used your last" in page
    # Feedback on the wrong option chosen still teaches.
    assert "Carter argued against framing it as a disorder." in page
    for _ in range(2):
        _age(app)
        attempt = start_post_test(client, app, trainee)
        submit_attempt(client, app, attempt, correct=False)
    assert attempt.number == 3
    # The last of max_attempts (3) is used: nothing left to protect.
    assert EXPLANATION in _review(client, attempt)
    assert EXPLANATION in _review(client, first)


def test_passing_shows_explanations(app: Any, client: Any, trainee: Any) -> None:
    first = start_post_test(client, app, trainee)
    submit_attempt(client, app, first, correct=False)
    _age(app)
    second = start_post_test(client, app, trainee)
    submit_attempt(client, app, second, correct=True)
    assert EXPLANATION in _review(client, second)
    assert EXPLANATION in _review(client, first)
