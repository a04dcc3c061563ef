"""The shared progress service: states, scores, CE hours and a fixed query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

import kaptrain.learning.progress.queries as progress_module
from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import (
    UNTOUCHED,
    ModuleProgress,
    module_progress,
    progress_for,
    progress_overview,
    total_ce_hours,
)
from kaptrain.models import (
    Certificate,
    EvaluationResponse,
    ItemProgress,
    QuizAttempt,
    User,
    VignetteRun,
    utcnow,
)
from tests.support.learn import MODULE_ID

pytestmark = pytest.mark.content("complete-module")


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
                user_id=user_id,
                item_id=lesson.id,
                status="done",
                completed_at=now,
                **common,
            )
        )
    db.session.add(
        QuizAttempt(
            user_id=user_id,
            quiz_id=module.quiz.id,
            kind="pre",
            number=1,
            submitted_at=now,
            score=50.0,
            passed=False,
            **common,
        )
    )
    for number, (score, passed) in enumerate([(40.0, False), (90.0, True)], 1):
        db.session.add(
            QuizAttempt(
                user_id=user_id,
                quiz_id=module.quiz.id,
                kind="post",
                number=number,
                submitted_at=now + dt.timedelta(minutes=number),
                score=score,
                passed=passed,
                **common,
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
            user_id=user_id,
            vignette_id=module.vignettes[0].id,
            number=1,
            current_node="close",
            finished_at=now,
            ending_id="close",
            **common,
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
                code=f"KT-TEST-{user_id:04d}",
                user_id=user_id,
                module_id=module.id,
                module_version=module.version,
                module_title=module.title,
                trainee_name="X",
                ce_hours=module.ce_hours,
                provider_name="P",
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
                user_id=user.id,
                quiz_id=module.quiz.id,
                kind="pre",
                number=1,
                skipped=True,
                submitted_at=utcnow(),
                **_common(module),
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
                user_id=user.id,
                module_id="gone-module",
                item_id="x",
                status="done",
                module_version="1",
                content_hash="h",
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
            user_id=1,
            module_id=f"m{n}",
            status="completed",
            lessons_done=0,
            lessons_total=0,
            vignettes_done=0,
            vignettes_total=0,
            done_item_ids=frozenset(),
            pretest_score=None,
            pretest_skipped=False,
            best_post_score=None,
            post_attempts=0,
            passed=False,
            passed_at=None,
            evaluation_done=False,
            certificate_code=None,
            completed_at=None,
            ce_hours_earned=Decimal(h),
            last_activity=None,
            first_activity=None,
        )
        for n, h in enumerate(hours)
    ]
    assert total_ce_hours(progress) == Decimal(expected)


def _varied_records(ids: list[int], module: Any) -> None:
    """Every kind of record the overview must read as progress_for does."""
    t0 = dt.datetime(2025, 5, 1, 9, tzinfo=dt.UTC)
    common = _common(module)
    lesson, second = module.lessons[0], module.lessons[1]
    vignette = module.vignettes[0]
    _add_everything(ids[0], module)  # certified
    _add_everything(ids[1], module, certify=False)  # everything but the certificate
    # A lesson begun, one done, a post-test failed, an unfinished run whose latest
    # step is the user's last moment, and a run started later but never stepped.
    db.session.add_all(
        [
            ItemProgress(
                user_id=ids[2],
                item_id=lesson.id,
                status="done",
                started_at=t0,
                completed_at=t0 + dt.timedelta(minutes=5),
                **common,
            ),
            ItemProgress(
                user_id=ids[2],
                item_id=second.id,
                status="in_progress",
                started_at=t0 + dt.timedelta(hours=1),
                **common,
            ),
            QuizAttempt(
                user_id=ids[2],
                quiz_id=module.quiz.id,
                kind="post",
                number=1,
                started_at=t0 + dt.timedelta(hours=2),
                submitted_at=t0 + dt.timedelta(hours=2, minutes=9),
                score=20.0,
                passed=False,
                **common,
            ),
            VignetteRun(
                user_id=ids[2],
                vignette_id=vignette.id,
                number=1,
                current_node="open",
                started_at=t0 + dt.timedelta(hours=3),
                last_step_at=t0 + dt.timedelta(days=2),
                **common,
            ),
            VignetteRun(
                user_id=ids[2],
                vignette_id=vignette.id,
                number=2,
                current_node="open",
                started_at=t0 + dt.timedelta(days=3),
                **common,
            ),
        ]
    )
    # A pass on a quiz since renamed: it touches the module, but its score and
    # pass do not count; a skipped pre-test only; an item no longer in the module.
    db.session.add_all(
        [
            QuizAttempt(
                user_id=ids[3],
                quiz_id="old-quiz",
                kind="post",
                number=1,
                started_at=t0,
                submitted_at=t0 + dt.timedelta(minutes=3),
                score=100.0,
                passed=True,
                **common,
            ),
            QuizAttempt(
                user_id=ids[4],
                quiz_id=module.quiz.id,
                kind="pre",
                number=1,
                skipped=True,
                started_at=t0,
                submitted_at=t0,
                **common,
            ),
            ItemProgress(
                user_id=ids[5],
                item_id="removed-lesson",
                status="done",
                started_at=t0,
                completed_at=t0 + dt.timedelta(days=9),
                **common,
            ),
        ]
    )
    db.session.commit()


def _expected(progress: ModuleProgress, module: Any) -> tuple[Any, ...]:
    required = {item.id for item in module.required_items}
    return (
        progress.status,
        len(required & progress.done_item_ids),
        progress.best_post_score,
        progress.last_activity,
    )


def test_overview_matches_progress_for(app: Flask, make_user: Any) -> None:
    ids = [make_user().id for _ in range(7)]  # the last has no records
    with app.app_context():
        catalog = current_catalog()
        _varied_records(ids, catalog.get(MODULE_ID))
        full = progress_for(ids, catalog)
        as_list = progress_overview(ids, catalog)
        as_select = progress_overview(select(User.id).where(User.id.in_(ids)), catalog)
    assert as_list == as_select
    assert (ids[6], MODULE_ID) not in as_list  # no records: no row
    for (user_id, module_id), progress in full.items():
        figures = as_list.get((user_id, module_id), UNTOUCHED)
        got = (
            figures.status,
            figures.required_done,
            figures.best_post_score,
            figures.last_activity,
        )
        assert got == _expected(progress, catalog.get(module_id)), user_id
    # The cases above do differ from one another.
    assert {f.status for f in as_list.values()} == {"completed", "in_progress"}
    # The latest step, not the later start of a run never stepped: runs of one
    # vignette count from their first start, as progress_for reads them.
    assert as_list[(ids[2], MODULE_ID)].last_activity == dt.datetime(
        2025, 5, 3, 9, tzinfo=dt.UTC
    )
    assert as_list[(ids[2], MODULE_ID)].required_done == 1
    assert as_list[(ids[3], MODULE_ID)].best_post_score is None
    assert progress_overview([], catalog) == {}


def test_overview_is_one_query(app: Flask, make_user: Any) -> None:
    ids = [make_user().id for _ in range(12)]
    count = 0

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal count
        if statement.lstrip().upper().startswith("SELECT"):
            count += 1

    with app.app_context():
        catalog = current_catalog()
        _varied_records(ids, catalog.get(MODULE_ID))
        event.listen(db.engine, "before_cursor_execute", before)
        try:
            progress_overview(select(User.id).where(User.id.in_(ids)), catalog)
            progress_overview(ids[:3], catalog)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
    assert count == 2


@pytest.mark.parametrize("rows_per_fetch", [1, 2, 1000])
def test_progress_in_order_matches_progress_for(
    app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch, rows_per_fetch: int
) -> None:
    # Emails out of id order, so the order is the emails', not the ids'.
    ids = [make_user(email=f"{'gfedcba'[n]}@example.org").id for n in range(7)]
    monkeypatch.setattr(
        progress_module,
        "STREAM_ROWS",
        dict.fromkeys(progress_module.STREAM_ROWS, rows_per_fetch),
    )
    with app.app_context():
        catalog = current_catalog()
        _varied_records(ids, catalog.get(MODULE_ID))
        expected = progress_for(ids, catalog)
        users = select(User.id).where(User.id.in_(ids))
        streamed = list(
            progress_module.progress_in_order(
                users, catalog, (User.email,), (User.email,)
            )
        )
    assert [email for (_uid, email), _ in streamed] == [
        f"{c}@example.org" for c in "abcdefg"
    ]
    assert [uid for (uid, _email), _ in streamed] == ids[::-1]
    for (uid, _email), progress in streamed:
        assert progress == {MODULE_ID: expected[(uid, MODULE_ID)]}
