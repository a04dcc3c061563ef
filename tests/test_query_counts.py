"""Trainee pages cost a fixed number of SQL queries, however many records the
trainee has: the catalog, a module, a lesson and the progress page read the
progress service's fixed set of queries, never one per record (no N+1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.models import (
    Certificate,
    EvaluationResponse,
    ItemProgress,
    QuizAttempt,
    QuizResponse,
    VignetteRun,
    VignetteStep,
)
from tests.support.learn import LESSONS, MODULE_ID, SECOND_ID
from tests.support.mfa import sign_in

#: The most any of these pages may issue: the session user with its roles (1)
#: and the progress service's five, plus a little headroom. A page that starts
#: querying per record breaks the equality test below long before this.
MAX_QUERIES = 8
PAGES = (
    "/modules",
    f"/modules/{MODULE_ID}",
    f"/modules/{SECOND_ID}",
    f"/modules/{MODULE_ID}/defining-racial-trauma?note=seen",
    "/progress",
)


pytestmark = pytest.mark.content("complete-module", second=True)


@contextmanager
def counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Only queries: SQLite's BEGIN also passes through this event.
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _busy_history(app: Flask, user_id: int) -> None:
    """Many records on both modules: attempts with answers, runs with steps."""
    at = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    with app.app_context():
        catalog = current_catalog()
        for module in catalog.modules:
            stamp = {
                "module_id": module.id,
                "module_version": module.version,
                "content_hash": module.content_hash,
            }
            quiz = module.quiz
            for lesson in module.lessons:
                db.session.add(
                    ItemProgress(
                        user_id=user_id, item_id=lesson.id, status="done",
                        started_at=at, completed_at=at, **stamp,
                    )
                )  # fmt: skip
            for number in range(1, 16):
                attempt = QuizAttempt(
                    user_id=user_id, quiz_id=quiz.id, kind="post", number=number,
                    layout={}, started_at=at, submitted_at=at, skipped=False,
                    correct_count=0, item_count=len(quiz.questions), score=10.0,
                    passed=number == 15, **stamp,
                )  # fmt: skip
                attempt.responses = [
                    QuizResponse(
                        question_id=q.id, position=n, answer=["a"], correct=False
                    )
                    for n, q in enumerate(quiz.questions)
                ]
                db.session.add(attempt)
            for vignette in module.vignettes:
                for number in range(1, 11):
                    run = VignetteRun(
                        user_id=user_id, vignette_id=vignette.id, number=number,
                        current_node=vignette.start, step_count=3, started_at=at,
                        finished_at=at, **stamp,
                    )  # fmt: skip
                    run.steps = [
                        VignetteStep(
                            seq=s, node_id=vignette.start, target=vignette.start, at=at
                        )
                        for s in range(1, 4)
                    ]
                    db.session.add(run)
            if module.evaluation is not None:
                db.session.add(
                    EvaluationResponse(
                        user_id=user_id, evaluation_id=module.evaluation.id,
                        ratings={}, comments={}, submitted_at=at, **stamp,
                    )
                )  # fmt: skip
            db.session.add(
                Certificate(
                    code=f"QC-{module.id[:10]}-{user_id}", user_id=user_id,
                    module_id=module.id, module_version=module.version,
                    module_title=module.title, trainee_name="Busy",
                    ce_hours=Decimal(1), provider_name="P", completed_at=at,
                )
            )  # fmt: skip
        db.session.commit()


def _queries(app: Flask, client: Any, path: str) -> int:
    client.get(path)  # first use: catalog versions recorded, caches warm
    with counting(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements)


@pytest.mark.parametrize("path", PAGES)
def test_trainee_page_query_count_does_not_grow_with_records(
    app: Flask, make_user: Any, path: str
) -> None:
    fresh, busy = make_user(), make_user()
    _busy_history(app, busy.id)
    client_fresh = app.test_client()
    client_busy = app.test_client()
    _sign_in(client_fresh, fresh)
    _sign_in(client_busy, busy)
    # The second module is locked for the fresh trainee, but its overview page
    # is open to both, so every path answers 200 for both.
    # A lesson not yet done also looks up its first open (time on task), which a
    # trainee who finished it no longer needs: one query, whatever the records.
    extra = 1 if path.endswith("?note=seen") else 0
    busy_count = _queries(app, client_busy, path)
    assert busy_count + extra == _queries(app, client_fresh, path)


@pytest.mark.parametrize("path", PAGES)
def test_trainee_page_query_count_is_small(
    app: Flask, make_user: Any, path: str
) -> None:
    busy = make_user()
    _busy_history(app, busy.id)
    client = app.test_client()
    _sign_in(client, busy)
    assert _queries(app, client, path) <= MAX_QUERIES


def _sign_in(client: Any, user: Any) -> None:
    from tests.support.settings import PASSWORD

    response = sign_in(client, user, PASSWORD)
    assert response.status_code == 302


@pytest.mark.parametrize("path", PAGES)
def test_a_repeat_page_is_one_query_and_a_write_costs_one_recount(
    app: Flask, make_user: Any, path: str
) -> None:
    """With the trainee's progress kept by the worker, a repeat page reads only
    the session user; after a learner write the next page reads the records
    once more (the five record queries), then is back to one."""
    busy = make_user()
    _busy_history(app, busy.id)
    client = app.test_client()
    _sign_in(client, busy)
    assert _queries(app, client, path) == 1
    client.post(f"/modules/{MODULE_ID}/{LESSONS[0]}/complete")
    with counting(app) as statements:
        assert client.get(path).status_code == 200
    assert len(statements) == 1 + 5, statements
    assert _queries(app, client, path) == 1
