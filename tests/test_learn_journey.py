"""The whole journey: catalog, pre-test, lessons, case, post-test failed then
passed, evaluation, certificate, verification."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.learn import (
    MODULE_ID,
    QUIZ_URL,
    VIGNETTE_URL,
    finish_lessons,
    latest_attempt,
    start_post_test,
    submit_attempt,
    submit_evaluation,
)

pytestmark = pytest.mark.content("complete-module")


def _play_case_to_good_ending(client: Any) -> None:
    client.post(f"{VIGNETTE_URL}/runs")
    page = client.get(VIGNETTE_URL).get_data(as_text=True)
    run_id = int(page.split(f"{VIGNETTE_URL}/runs/")[1].split('"')[0])
    url = f"{VIGNETTE_URL}/runs/{run_id}"
    assert client.post(url, data={"step": "0", "choice": "1"}).status_code == 303
    assert client.post(url, data={"step": "1", "choice": "1"}).status_code == 303
    client.post(url, data={"step": "2", "reflection": "I felt tense."})


def test_whole_journey_to_a_verified_certificate(
    app: Any, client: Any, make_user: Any, login: Any
) -> None:
    user = make_user(name="Zoë Müller-Okafor")
    login(user)
    catalog = client.get("/modules").get_data(as_text=True)
    assert "Racial trauma: a complete example module" in catalog

    client.post(f"{QUIZ_URL}/start", data={"kind": "pre"})
    pre = latest_attempt(app, user.id, "pre")
    submit_attempt(client, app, pre, correct=False)
    pre_result = client.get(f"{QUIZ_URL}/attempts/{pre.id}").get_data(as_text=True)
    assert "You scored" in pre_result

    finish_lessons(client)
    _play_case_to_good_ending(client)

    first = start_post_test(client, app, user)
    submit_attempt(client, app, first, correct=False)
    assert "Not passed" in client.get(f"{QUIZ_URL}/attempts/{first.id}").get_data(
        as_text=True
    )
    # The retry wait is 10 minutes: move the first attempt into the past.
    from kaptrain.extensions import db
    from kaptrain.models import QuizAttempt

    with app.app_context():
        row = db.session.get(QuizAttempt, first.id)
        row.submitted_at = row.submitted_at.replace(year=row.submitted_at.year - 1)
        db.session.commit()
    second = start_post_test(client, app, user)
    submit_attempt(client, app, second, correct=True)
    passed = client.get(f"{QUIZ_URL}/attempts/{second.id}").get_data(as_text=True)
    assert "Passed" in passed

    module_page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    assert "View your certificate" not in module_page
    submit_evaluation(client)

    module_page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    assert "View your certificate" in module_page
    code = module_page.split("/certificates/")[1].split('"')[0]
    certificate = client.get(f"/certificates/{code}").get_data(as_text=True)
    assert "Zoë Müller-Okafor" in certificate
    pdf = client.get(f"/certificates/{code}.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")

    client.post("/logout")
    verified = client.get(f"/verify/{code}")
    assert verified.status_code == 200
    assert "Zoë Müller-Okafor" in verified.get_data(as_text=True)
