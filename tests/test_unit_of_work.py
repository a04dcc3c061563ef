"""The one learner-write path: each write commits, raises the records version and
announces a domain event; a failing subscriber loses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.kinds import records
from kaptrain.kinds.evaluation import service as evaluations
from kaptrain.kinds.lesson import service as lessons
from kaptrain.kinds.quiz import attempts as quizzes
from kaptrain.learning import unit_of_work
from kaptrain.learning.course import current_catalog
from kaptrain.learning.unit_of_work import LearnerEvent, subscribe, unsubscribe
from kaptrain.models import ItemProgress, User
from tests.support.learn import MODULE_ID

pytestmark = pytest.mark.content("complete-module")


@pytest.fixture
def seen() -> Iterator[list[LearnerEvent]]:
    events: list[LearnerEvent] = []
    subscribe(events.append)
    yield events
    unsubscribe(events.append)


def _evaluation_input(evaluation: Any) -> evaluations.EvaluationInput:
    form = {f"rating-{rid}": "4" for rid, _ in evaluation.ratings}
    return evaluations.parse_evaluation(evaluation, form)


def test_a_subscriber_sees_each_kind_of_write(
    app: Flask, make_user: Any, seen: list[LearnerEvent]
) -> None:
    uid = make_user().id
    with app.test_request_context():
        user = db.session.get(User, uid)
        module = current_catalog().get(MODULE_ID)
        version = user.records_version
        lesson = module.lessons[0]
        lessons.complete_lesson(user, module, lesson)
        quizzes.skip_pretest(user, module)
        quizzes.start_attempt(user, module, quizzes.POST)
        evaluation = module.evaluation
        evaluations.submit_evaluation(
            user, module, evaluation, _evaluation_input(evaluation)
        )
        db.session.expire_all()
        assert db.session.get(User, uid).records_version == version + 4
    assert [(e.kind, e.item_id) for e in seen] == [
        ("lesson_completed", lesson.id),
        ("pretest_skipped", module.quiz.id),
        ("quiz_started", module.quiz.id),
        ("evaluation_submitted", evaluation.id),
    ]
    assert {e.user_id for e in seen} == {uid}
    assert {e.module_id for e in seen} == {MODULE_ID}
    assert seen[2].outcome["kind"] == "post"
    assert seen[2].outcome["number"] == 1 and seen[2].outcome["attempt_id"]
    assert seen[3].outcome["stored"] is True
    assert seen[3].outcome["ratings"]  # ratings only, never the comments
    assert "comments" not in seen[3].outcome


def test_a_failing_subscriber_loses_no_write(
    app: Flask, make_user: Any, seen: list[LearnerEvent]
) -> None:
    def broken(event: LearnerEvent) -> None:
        raise RuntimeError("subscriber bug")

    uid = make_user().id
    unsubscribe(seen.append)
    subscribe(broken)
    subscribe(seen.append)  # after the broken one: still called
    try:
        with app.test_request_context():
            user = db.session.get(User, uid)
            module = current_catalog().get(MODULE_ID)
            lessons.complete_lesson(user, module, module.lessons[0])
            db.session.rollback()  # nothing left uncommitted to lose
            done = db.session.execute(
                select(ItemProgress.item_id).where(ItemProgress.user_id == uid)
            ).scalars()
            assert list(done) == [module.lessons[0].id]
    finally:
        unsubscribe(broken)
    assert [e.kind for e in seen] == ["lesson_completed"]


def test_a_block_that_raises_commits_and_announces_nothing(
    app: Flask, make_user: Any, seen: list[LearnerEvent]
) -> None:
    uid = make_user().id
    with app.test_request_context():
        user = db.session.get(User, uid)
        module = current_catalog().get(MODULE_ID)
        version = user.records_version
        with (
            pytest.raises(ValueError),
            unit_of_work.learner_write(user, module, kind="test"),
        ):
            records.mark_item_done(user, module, module.lessons[0].id)
            raise ValueError("refused")
        db.session.rollback()
        assert db.session.get(User, uid).records_version == version
        assert db.session.execute(select(ItemProgress)).first() is None
    assert seen == []
