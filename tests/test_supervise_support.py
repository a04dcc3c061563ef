"""Shared world for the supervisor tests: cohorts, people and learner records.

Imported by the other ``test_supervise_*`` modules; the tests here only check
that the world is what the others assume.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.models import (
    Certificate,
    Cohort,
    EvaluationResponse,
    ItemProgress,
    JournalEntry,
    QuizAttempt,
    QuizResponse,
    User,
    VignetteRun,
    VignetteStep,
)
from tests.support.learn import MODULE_ID

pytestmark = pytest.mark.content("complete-module")

SECRET = "PRIVATE-REFLECTION-do-not-show-7f3a"
SHARED = "I noticed my shoulders tighten <b>when</b> Dana spoke."
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)

# Answers of the six fixture questions, correct and wrong.
RIGHT = {
    "rbts-injury": ["b"],
    "micro-kinds": ["a", "b"],
    "injury-not-disorder": ["b"],
    "opening-steps": ["a", "b", "c"],
    "default-single": ["a"],
    "second-single": ["a"],
}
WRONG = {
    "rbts-injury": ["a"],
    "micro-kinds": ["a", "c"],
    "injury-not-disorder": ["a"],
    "opening-steps": ["b", "a", "c"],
    "default-single": ["b"],
    "second-single": ["b"],
}


@dataclass
class World:
    supervisor: User
    other_supervisor: User
    author: User
    admin: User
    trainee: User
    peer: User  # second trainee in the supervised cohort
    outsider: User  # trainee in the other cohort
    cohort: Cohort
    other_cohort: Cohort
    shared_entry_id: int = 0
    private_entry_id: int = 0
    run_id: int = 0


def module() -> Any:
    return current_catalog().get(MODULE_ID)


def common(**extra: Any) -> dict[str, Any]:
    m = module()
    return {
        "module_id": m.id,
        "module_version": m.version,
        "content_hash": m.content_hash,
        **extra,
    }


def add_attempt(
    user_id: int,
    kind: str,
    number: int,
    correct: dict[str, bool] | None,
    *,
    at: dt.datetime = T0,
    skipped: bool = False,
    **extra: Any,
) -> QuizAttempt:
    """An attempt with one response per question (``correct`` maps id -> right)."""
    m = module()
    questions = [q.id for q in m.quiz.questions]
    attempt = QuizAttempt(
        user_id=user_id,
        quiz_id=m.quiz.id,
        kind=kind,
        number=number,
        started_at=at,
        submitted_at=at + dt.timedelta(minutes=5),
        skipped=skipped,
        **common(**extra),
    )
    if correct is not None:
        right = sum(1 for q in questions if correct.get(q, True))
        attempt.correct_count = right
        attempt.item_count = len(questions)
        attempt.score = 100 * right / len(questions)
        attempt.passed = attempt.score >= m.quiz.pass_percent
        attempt.responses = [
            QuizResponse(
                question_id=q,
                position=n,
                answer=(RIGHT if correct.get(q, True) else WRONG)[q],
                correct=correct.get(q, True),
            )
            for n, q in enumerate(questions)
        ]
    db.session.add(attempt)
    return attempt


def seed_trainee(user_id: int, *, certify: bool = True) -> dict[str, int]:
    """A trainee who did everything: lessons, pre/post, a run, journal, evaluation."""
    m = module()
    for n, lesson in enumerate(m.lessons):
        db.session.add(
            ItemProgress(
                user_id=user_id,
                item_id=lesson.id,
                status="done",
                started_at=T0 + dt.timedelta(hours=n),
                completed_at=T0 + dt.timedelta(hours=n, minutes=30),
                **common(),
            )
        )
    add_attempt(
        user_id,
        "pre",
        1,
        {"rbts-injury": False, "micro-kinds": False, "opening-steps": False},
        at=T0,
    )
    add_attempt(
        user_id, "post", 1, {"micro-kinds": False}, at=T0 + dt.timedelta(days=1)
    )
    run = VignetteRun(
        user_id=user_id,
        vignette_id="first-session",
        number=1,
        current_node="close",
        step_count=3,
        started_at=T0 + dt.timedelta(hours=3),
        finished_at=T0 + dt.timedelta(hours=3, minutes=9),
        ending_id="close",
        **common(),
    )
    run.steps = [
        VignetteStep(
            seq=1,
            node_id="arrival",
            choice_key="3",
            rating="avoid",
            target="checklist",
            at=T0 + dt.timedelta(hours=3, minutes=1),
        ),
        VignetteStep(
            seq=2,
            node_id="checklist",
            choice_key=None,
            rating=None,
            target="arrival",
            at=T0 + dt.timedelta(hours=3, minutes=2),
        ),
        VignetteStep(
            seq=3,
            node_id="arrival",
            choice_key="1",
            rating="best",
            target="agenda",
            at=T0 + dt.timedelta(hours=3, minutes=3),
        ),
        VignetteStep(
            seq=4,
            node_id="agenda",
            choice_key="1",
            rating="best",
            target="noticing",
            at=T0 + dt.timedelta(hours=3, minutes=4),
        ),
        VignetteStep(
            seq=5,
            node_id="noticing",
            choice_key=None,
            rating=None,
            target="close",
            at=T0 + dt.timedelta(hours=3, minutes=8),
        ),
    ]
    db.session.add(run)
    db.session.flush()
    shared = JournalEntry(
        user_id=user_id,
        module_id=m.id,
        vignette_id="first-session",
        run_id=run.id,
        node_id="noticing",
        prompt="What did you notice?",
        body=SHARED,
        shared=True,
        created_at=T0 + dt.timedelta(hours=3, minutes=8),
    )
    private = JournalEntry(
        user_id=user_id,
        module_id=m.id,
        body=SECRET,
        shared=False,
        created_at=T0 + dt.timedelta(hours=4),
    )
    db.session.add_all([shared, private])
    db.session.add(
        EvaluationResponse(
            user_id=user_id,
            evaluation_id=m.evaluation.id,
            ratings={"objectives-met": 4, "relevant": 5},
            comments={"improve": "More cases, please."},
            submitted_at=T0 + dt.timedelta(days=1, hours=1),
            **common(),
        )
    )
    if certify:
        db.session.add(
            Certificate(
                code=f"KT-{user_id:04d}-ABCD",
                user_id=user_id,
                module_id=m.id,
                module_version=m.version,
                module_title=m.title,
                trainee_name="x",
                ce_hours=Decimal("1.00"),
                provider_name="Test Provider",
                completed_at=T0 + dt.timedelta(days=1, hours=2),
            )
        )
    db.session.commit()
    return {"shared": shared.id, "private": private.id, "run": run.id}


@pytest.fixture
def world(
    app: Flask, make_user: Callable[..., User], make_cohort: Callable[..., Cohort]
) -> World:
    supervisor = make_user("supervisor", name="Sam Supervisor")
    other = make_user("supervisor", name="Olga Other")
    cohort = make_cohort("Spring cohort", supervisors=[supervisor])
    other_cohort = make_cohort("Autumn cohort", supervisors=[other])
    w = World(
        supervisor=supervisor,
        other_supervisor=other,
        author=make_user("author"),
        admin=make_user("admin"),
        trainee=make_user(name="Tara Trainee", cohort=cohort),
        peer=make_user(name="Pat Peer", cohort=cohort),
        outsider=make_user(name="Otto Outsider", cohort=other_cohort),
        cohort=cohort,
        other_cohort=other_cohort,
    )
    with app.app_context():
        ids = seed_trainee(w.trainee.id)
        w.shared_entry_id, w.private_entry_id, w.run_id = (
            ids["shared"],
            ids["private"],
            ids["run"],
        )
        seed_trainee(w.outsider.id, certify=False)
    return w


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements (not BEGIN/COMMIT) run inside the block."""
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if (
            statement.lstrip()
            .upper()
            .startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"))
        ):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_world_has_records_for_the_supervised_trainee(app: Flask, world: World) -> None:
    with app.app_context():
        entries = (
            db.session.execute(
                select(JournalEntry.shared).where(
                    JournalEntry.user_id == world.trainee.id
                )
            )
            .scalars()
            .all()
        )
    assert sorted(entries) == [False, True]
