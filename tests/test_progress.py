"""The shared progress service: states, scores, CE hours and a fixed query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from kaptrain.catalog import current_catalog
from kaptrain.extensions import db
from kaptrain.models import (
    Certificate,
    EvaluationResponse,
    ItemProgress,
    QuizAttempt,
    User,
    VignetteRun,
    utcnow,
)
from kaptrain.progress import (
    ModuleProgress,
    module_progress,
    progress_for,
    total_ce_hours,
)
from tests.learn_support import MODULE_ID, fixture_config


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return fixture_config(tmp_path)


def _common(module: Any) -> dict[str, Any]:
    return {
        "module_id": module.id,
        "module_version": module.version,
        "content_hash": module.content_hash,
    }


def _add_everything(user_id: int, module: Any, *, certify: bool = True) -> None:
    now = utcnow()
    common = _common(module)
    for lesson in module.lessons:
        db.session.add(
            ItemProgress(
                user_id=user_id, item_id=lesson.id, status="done",
                completed_at=now, **common,
            )
        )
    db.session.add(
        QuizAttempt(
            user_id=user_id, quiz_id=module.quiz.id, kind="pre", number=1,
            submitted_at=now, score=50.0, passed=False, **common,
        )
    )
    for number, (score, passed) in enumerate([(40.0, False), (90.0, True)], 1):
        db.session.add(
            QuizAttempt(
                user_id=user_id, quiz_id=module.quiz.id, kind="post", number=number,
                submitted_at=now + dt.timedelta(minutes=number), score=score,
                passed=passed, **common,
            )
        )
    # An unsubmitted attempt does not count.
    db.session.add(
        QuizAttempt(
            user_id=user_id, quiz_id=module.quiz.id, kind="post", number=3, **common
        )
    )
    db.session.add(
        VignetteRun(
            user_id=user_id, vignette_id=module.vignettes[0].id, number=1,
            current_node="close", finished_at=now, ending_id="close", **common,
        )
    )
    db.session.add(
        EvaluationResponse(
            user_id=user_id, evaluation_id=module.evaluation.id, **common
        )
    )
    if certify:
        db.session.add(
            Certificate(
                code=f"KT-TEST-{user_id:04d}", user_id=user_id, module_id=module.id,
                module_version=module.version, module_title=module.title,
                trainee_name="X", ce_hours=module.ce_hours, provider_name="P",
                completed_at=now,
            )
        )
    db.session.commit()


def test_user_without_records_is_not_started(app: Flask, make_user: Any) -> None:
    user = make_user()
    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        progress = module_progress(user.id, module)
    assert progress.status == "not_started"
    assert progress.lessons_done == 0
    assert progress.lessons_total == 2
    assert progress.vignettes_total == 0  # the fixture case is optional
    assert progress.done_item_ids == frozenset()
    assert progress.ce_hours_earned == Decimal(0)
    assert progress.last_activity is None


def test_full_records_make_a_completed_module(app: Flask, make_user: Any) -> None:
    user = make_user()
    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        _add_everything(user.id, module)
        progress = module_progress(user.id, module)
    assert progress.status == "completed"
    assert progress.lessons_done == progress.lessons_total == 2
    assert progress.pretest_score == 50.0
    assert progress.pretest_skipped is False
    assert progress.best_post_score == 90.0
    assert progress.post_attempts == 2
    assert progress.passed is True
    assert progress.evaluation_done is True
    assert progress.certificate_code == f"KT-TEST-{user.id:04d}"
    assert progress.ce_hours_earned == Decimal(1)
    assert {"first-session", "post-test", "course-evaluation"} <= progress.done_item_ids
    assert progress.first_activity is not None
    assert progress.last_activity >= progress.first_activity
    assert progress.last_activity.tzinfo is not None


def test_activity_without_certificate_is_in_progress(
    app: Flask, make_user: Any
) -> None:
    user = make_user()
    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        _add_everything(user.id, module, certify=False)
        progress = module_progress(user.id, module)
    assert progress.status == "in_progress"
    assert progress.ce_hours_earned == Decimal(0)


def test_skipped_pretest_is_reported(app: Flask, make_user: Any) -> None:
    user = make_user()
    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        db.session.add(
            QuizAttempt(
                user_id=user.id, quiz_id=module.quiz.id, kind="pre", number=1,
                skipped=True, submitted_at=utcnow(), **_common(module),
            )
        )
        db.session.commit()
        progress = module_progress(user.id, module)
    assert progress.pretest_skipped is True
    assert progress.pretest_score is None
    assert progress.status == "in_progress"


def test_records_of_unknown_modules_are_ignored(app: Flask, make_user: Any) -> None:
    user = make_user()
    with app.app_context():
        db.session.add(
            ItemProgress(
                user_id=user.id, module_id="gone-module", item_id="x", status="done",
                module_version="1", content_hash="h",
            )
        )
        db.session.commit()
        result = progress_for([user.id], current_catalog())
    assert set(result) == {(user.id, MODULE_ID)}
    assert result[(user.id, MODULE_ID)].status == "not_started"


def test_users_as_a_select_subquery(app: Flask, make_user: Any) -> None:
    done, fresh = make_user(), make_user()
    make_user(role="supervisor")
    with app.app_context():
        catalog = current_catalog()
        _add_everything(done.id, catalog.get(MODULE_ID))
        users = select(User.id).where(User.id.in_([done.id, fresh.id]))
        result = progress_for(users, catalog)
    assert set(result) == {(done.id, MODULE_ID), (fresh.id, MODULE_ID)}
    assert result[(done.id, MODULE_ID)].status == "completed"
    assert result[(fresh.id, MODULE_ID)].status == "not_started"


def _count_queries(app: Flask, users: Any) -> int:
    count = 0

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal count
        # Only queries: SQLite's BEGIN also passes through this event.
        if statement.lstrip().upper().startswith("SELECT"):
            count += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        progress_for(users, current_catalog())
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def test_query_count_does_not_grow_with_users(app: Flask, make_user: Any) -> None:
    ids = [make_user().id for _ in range(50)]
    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        for user_id in ids[:10]:
            _add_everything(user_id, module)
        db.session.expire_all()
        few = _count_queries(app, select(User.id).where(User.id.in_(ids[:5])))
        many = _count_queries(app, select(User.id).where(User.id.in_(ids)))
        as_list = _count_queries(app, ids)
    assert few == many
    assert as_list <= many
    assert many <= 8


@pytest.mark.parametrize(
    ("hours", "expected"),
    [([], "0"), (["1"], "1"), (["1.5", "2.25", "0"], "3.75")],
)
def test_total_ce_hours(hours: list[str], expected: str) -> None:
    progress = [
        ModuleProgress(
            user_id=1, module_id=f"m{n}", status="completed", lessons_done=0,
            lessons_total=0, vignettes_done=0, vignettes_total=0,
            done_item_ids=frozenset(), pretest_score=None, pretest_skipped=False,
            best_post_score=None, post_attempts=0, passed=False, passed_at=None,
            evaluation_done=False, certificate_code=None, completed_at=None,
            ce_hours_earned=Decimal(h), last_activity=None, first_activity=None,
        )
        for n, h in enumerate(hours)
    ]
    assert total_ce_hours(progress) == Decimal(expected)
