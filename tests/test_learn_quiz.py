"""Pre-test and post-test: layout, grading, one stored attempt, limits, waits."""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.kinds.quiz.attempts import is_correct
from kaptrain.learning.course import current_catalog
from kaptrain.models import QuizAttempt, QuizResponse
from tests.support.learn import (
    MODULE_ID,
    QUIZ_URL,
    attempt_form,
    latest_attempt,
    start_post_test,
    submit_attempt,
)
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.content("complete-module")


def _count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _age_attempts(app: Any, minutes: int) -> None:
    """Move every submission ``minutes`` into the past (to pass a retry wait)."""
    with app.app_context():
        for attempt in db.session.execute(select(QuizAttempt)).scalars():
            if attempt.submitted_at:
                attempt.submitted_at -= dt.timedelta(minutes=minutes)
        db.session.commit()


def _page(client: Any, attempt: Any) -> str:
    return client.get(f"{QUIZ_URL}/attempts/{attempt.id}").get_data(as_text=True)


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_quiz_page_before_submission_holds_no_answer_data(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    page = _page(client, attempt)
    assert "Submit answers" in page
    with app.app_context():
        quiz = current_catalog().get(MODULE_ID).quiz
    for question in quiz.questions:
        assert question.stem_html in page
        for option in question.options:
            if option.feedback_html:
                assert option.feedback_html not in page
            # Values are positions in this attempt's order, never option keys.
            assert f'value="{option.key}"' not in page
        if question.explanation_html:
            assert question.explanation_html not in page
    for marker in ("correct", "Correct", "Explanation", "feedback", "[x]"):
        assert marker not in page.split("<main", 1)[1]


def test_layout_is_stable_within_an_attempt(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    # The signed CSRF token carries a timestamp: two requests a second apart
    # differ there and nowhere else.
    first = _without_tokens(_page(client, attempt))
    assert first.count('<fieldset id="q-') >= 2  # the questions are there
    assert first == _without_tokens(_page(client, attempt))


def test_options_are_shuffled_per_attempt(app: Any, trainee: Any) -> None:
    from kaptrain.kinds.quiz.attempts import make_layout

    with app.app_context():
        quiz = current_catalog().get(MODULE_ID).quiz
    layouts = {str(make_layout(quiz)) for _ in range(20)}
    assert len(layouts) > 1
    for layout in layouts:
        assert "rbts-injury" in layout


def test_double_start_creates_one_attempt(app: Any, client: Any, trainee: Any) -> None:
    first = client.post(f"{QUIZ_URL}/start", data={"kind": "post"})
    second = client.post(f"{QUIZ_URL}/start", data={"kind": "post"})
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app, QuizAttempt) == 1


def test_passing_submission_shows_score_feedback_explanations_and_citations(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    response = submit_attempt(client, app, attempt, correct=True)
    assert response.status_code == 303
    page = _page(client, attempt)
    assert "You scored <strong>100%</strong> (6 of 6 correct)" in page
    assert "Passed" in page
    assert "Yes. The model names an injury, not a disorder" in page  # chosen feedback
    assert "The injury framing keeps the focus" in page  # explanation
    assert 'id="ref-carter-2007"' in page and 'id="ref-sue-2007"' in page
    assert "Your post-test attempts" in page


def test_failing_submission_says_not_passed_and_shows_chosen_feedback(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    submit_attempt(client, app, attempt, correct=False)
    page = _page(client, attempt)
    assert "Not passed" in page
    assert "The pass mark is 80%" in page
    assert "Carter argued against framing it as a disorder." in page
    assert "Yes. The model names an injury" not in page  # not chosen


@pytest.mark.parametrize(
    ("question_id", "answer", "expected"),
    [
        ("rbts-injury", ["b"], True),
        ("rbts-injury", ["a"], False),
        ("micro-kinds", ["a", "b"], True),
        ("micro-kinds", ["b", "a"], True),
        ("micro-kinds", ["a"], False),  # multiple is all-or-nothing
        ("micro-kinds", ["a", "b", "c"], False),
        ("injury-not-disorder", ["b"], True),
        ("opening-steps", ["a", "b", "c"], True),
        ("opening-steps", ["a", "c", "b"], False),  # order only when all match
        ("opening-steps", ["a", "b"], False),
    ],
)
def test_grading(app: Any, question_id: str, answer: list[str], expected: bool) -> None:
    with app.app_context():
        question = current_catalog().get(MODULE_ID).quiz.question(question_id)
    assert is_correct(question, answer) is expected


def test_unanswered_items_are_refused_and_answers_stay_selected(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    data = attempt_form(app, attempt.id, correct=True)
    kept = data.pop("q-rbts-injury")
    del data["q-micro-kinds"]
    response = client.post(f"{QUIZ_URL}/attempts/{attempt.id}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Answer every question before submitting" in page
    assert "Question 1: choose an answer" in page
    assert "Question 2: choose an answer" in page
    chosen = re.search(r'name="q-injury-not-disorder" value="(\d)" checked', page)
    assert chosen and [chosen.group(1)] == data["q-injury-not-disorder"]
    assert f'name="q-rbts-injury" value="{kept[0]}" checked' not in page
    assert "selected" in page  # the order item's choices kept
    assert latest_attempt(app, trainee.id).submitted_at is None


def test_order_items_must_use_each_step_once(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    data = attempt_form(app, attempt.id, correct=True)
    data["q-opening-steps-2"] = data["q-opening-steps-1"]
    page = client.post(f"{QUIZ_URL}/attempts/{attempt.id}", data=data).get_data(
        as_text=True
    )
    assert "use each step once" in page


def test_replayed_submission_shows_the_stored_result(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    submit_attempt(client, app, attempt, correct=True)
    replay = submit_attempt(client, app, attempt, correct=False)
    assert replay.status_code == 303
    assert latest_attempt(app, trainee.id).score == 100.0
    assert _count(app, QuizResponse) == 6


def test_concurrent_submissions_store_one_attempt(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    clients = [client, app.test_client()]
    clients[1].post("/login", data={"email": trainee.email, "password": PASSWORD})
    data = [attempt_form(app, attempt.id, correct=c) for c in (True, False)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send(n: int) -> None:
        barrier.wait()
        response = clients[n].post(f"{QUIZ_URL}/attempts/{attempt.id}", data=data[n])
        statuses.append(response.status_code)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303, 303]
    assert _count(app, QuizAttempt) == 1
    assert _count(app, QuizResponse) == 6
    stored = latest_attempt(app, trainee.id)
    assert stored.score in (0.0, 100.0)
    with app.app_context():
        correct = db.session.execute(
            select(func.count()).where(QuizResponse.correct.is_(True))
        ).scalar_one()
    assert correct == (6 if stored.score == 100.0 else 0)  # one winner's answers
    # The same stored result for both (each page carries its own session's
    # sign-out CSRF token, so those are left out of the comparison).
    assert _without_tokens(_page(clients[0], attempt)) == _without_tokens(
        _page(clients[1], attempt)
    )


def test_retry_wait_is_enforced_with_the_opening_time(
    app: Any, client: Any, trainee: Any
) -> None:
    attempt = start_post_test(client, app, trainee)
    submit_attempt(client, app, attempt, correct=False)
    response = client.post(f"{QUIZ_URL}/start", data={"kind": "post"})
    assert response.headers["Location"].endswith(QUIZ_URL)
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "Your next attempt opens at" in page
    assert "(in 10 minutes)" in page
    assert _count(app, QuizAttempt) == 1
    _age_attempts(app, 11)
    start_post_test(client, app, trainee)
    assert _count(app, QuizAttempt) == 2


def test_max_attempts_is_enforced(app: Any, client: Any, trainee: Any) -> None:
    for _ in range(3):
        attempt = start_post_test(client, app, trainee)
        submit_attempt(client, app, attempt, correct=False)
        _age_attempts(app, 11)
    client.post(f"{QUIZ_URL}/start", data={"kind": "post"})
    assert _count(app, QuizAttempt) == 3
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "You have used all 3 attempts" in page


def test_no_new_attempt_after_passing(app: Any, client: Any, trainee: Any) -> None:
    attempt = start_post_test(client, app, trainee)
    submit_attempt(client, app, attempt, correct=True)
    _age_attempts(app, 11)
    client.post(f"{QUIZ_URL}/start", data={"kind": "post"})
    assert _count(app, QuizAttempt) == 1


def test_attempt_history_lists_every_submission(
    app: Any, client: Any, trainee: Any
) -> None:
    first = start_post_test(client, app, trainee)
    submit_attempt(client, app, first, correct=False)
    _age_attempts(app, 11)
    second = start_post_test(client, app, trainee)
    submit_attempt(client, app, second, correct=True)
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "Attempt 1" in page and "Attempt 2" in page
    assert page.index("Not passed") < page.index("Passed</span></td>")
    assert second.number == 2


def test_pretest_is_scored_without_feedback(
    app: Any, client: Any, trainee: Any
) -> None:
    client.post(f"{QUIZ_URL}/start", data={"kind": "pre"})
    pre = latest_attempt(app, trainee.id, "pre")
    assert pre.number == 1
    client.post(f"{QUIZ_URL}/attempts/{pre.id}", data=attempt_form(app, pre.id))
    page = _page(client, pre)
    assert "You scored <strong>100%</strong>" in page
    assert "Yes. The model names an injury" not in page
    assert "The injury framing keeps the focus" not in page
    stored = latest_attempt(app, trainee.id, "pre")
    assert stored.passed is None


def test_pretest_is_not_counted_toward_completion(
    app: Any, client: Any, trainee: Any
) -> None:
    from kaptrain.learning.progress import module_progress

    client.post(f"{QUIZ_URL}/start", data={"kind": "pre"})
    pre = latest_attempt(app, trainee.id, "pre")
    client.post(f"{QUIZ_URL}/attempts/{pre.id}", data=attempt_form(app, pre.id))
    with app.app_context():
        progress = module_progress(trainee.id, current_catalog().get(MODULE_ID))
    assert progress.pretest_score == 100.0
    assert progress.passed is False
    assert progress.post_attempts == 0


def test_pretest_is_offered_once(app: Any, client: Any, trainee: Any) -> None:
    client.post(f"{QUIZ_URL}/start", data={"kind": "pre"})
    pre = latest_attempt(app, trainee.id, "pre")
    client.post(f"{QUIZ_URL}/attempts/{pre.id}", data=attempt_form(app, pre.id))
    client.post(f"{QUIZ_URL}/start", data={"kind": "pre"})
    client.post(f"{QUIZ_URL}/skip-pretest")
    with app.app_context():
        kinds = [a.kind for a in db.session.execute(select(QuizAttempt)).scalars()]
    assert kinds == ["pre"]


def test_skipping_the_pretest_is_recorded(app: Any, client: Any, trainee: Any) -> None:
    response = client.post(f"{QUIZ_URL}/skip-pretest")
    assert response.headers["Location"].endswith(
        f"/modules/{MODULE_ID}/defining-racial-trauma"
    )
    pre = latest_attempt(app, trainee.id, "pre")
    assert pre.skipped is True
    assert pre.score is None
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "You skipped the pre-test" in page
    assert client.get(f"{QUIZ_URL}/attempts/{pre.id}").status_code == 404


def test_pretest_closes_once_the_post_test_starts(
    app: Any, client: Any, trainee: Any
) -> None:
    start_post_test(client, app, trainee)
    client.post(f"{QUIZ_URL}/start", data={"kind": "pre"})
    assert latest_attempt(app, trainee.id, "pre") is None


def test_another_trainees_attempt_is_not_found(
    app: Any, client: Any, make_user: Any, login: Any
) -> None:
    owner = make_user()
    login(owner)
    attempt = start_post_test(client, app, owner)
    client.post("/logout")
    login(make_user())
    assert client.get(f"{QUIZ_URL}/attempts/{attempt.id}").status_code == 404
    response = client.post(
        f"{QUIZ_URL}/attempts/{attempt.id}", data=attempt_form(app, attempt.id)
    )
    assert response.status_code == 404
    assert latest_attempt(app, owner.id).submitted_at is None
