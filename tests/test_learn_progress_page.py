"""The progress dashboard: states, scores, CE hours and a text-readable summary."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.learn import (
    QUIZ_URL,
    SECOND_ID,
    attempt_form,
    finish_lessons,
    start_post_test,
    submit_attempt,
    submit_evaluation,
)

pytestmark = pytest.mark.content("complete-module", second=True)


def _complete_first_module(app: Any, client: Any, user: Any) -> None:
    client.post(f"{QUIZ_URL}/skip-pretest")
    finish_lessons(client)
    submit_attempt(client, app, start_post_test(client, app, user), correct=True)
    submit_evaluation(client)


def test_fresh_dashboard(client: Any, trainee: Any) -> None:
    response = client.get("/progress")
    page = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "<strong>0</strong> CE hours earned" in page
    assert "<caption>Each module's state</caption>" in page
    assert page.count("Not started") >= 2
    assert '<progress value="0" max="2"' in page
    assert '<span class="meter-text">0 of 2</span>' in page  # the bar as text


def test_dashboard_shows_each_modules_state(
    app: Any, client: Any, trainee: Any
) -> None:
    _complete_first_module(app, client, trainee)
    page = client.get("/progress").get_data(as_text=True)
    assert "<strong>1</strong> CE hours earned" in page
    assert "Skipped" in page
    assert '100% <span class="badge badge-done">Passed</span>' in page
    assert "Submitted" in page
    assert "<td>2 of 2</td>" in page
    assert "<td>0 of 0</td>" in page  # the fixture case is optional
    assert "/certificates/KT-" in page
    assert "1 of 2</span>" in page  # modules completed


def test_ce_hours_are_summed_over_certified_modules(
    app: Any, client: Any, trainee: Any
) -> None:
    _complete_first_module(app, client, trainee)
    second_quiz = f"/modules/{SECOND_ID}/post-test"
    client.post(f"{second_quiz}/skip-pretest")
    for lesson in ("defining-racial-trauma", "microaggressions"):
        client.post(f"/modules/{SECOND_ID}/{lesson}/complete")
    response = client.post(f"{second_quiz}/start", data={"kind": "post"})
    attempt_url = response.headers["Location"]
    attempt_id = int(attempt_url.rsplit("/", 1)[1])
    client.post(attempt_url, data=attempt_form(app, attempt_id))
    client.post(
        f"/modules/{SECOND_ID}/course-evaluation/evaluation",
        data={"rating-objectives-met": "5", "rating-relevant": "5"},
    )
    page = client.get("/progress").get_data(as_text=True)
    assert "<strong>2.5</strong> CE hours earned" in page
