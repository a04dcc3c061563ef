"""How quiz attempts become progress facts.

Attempts are read grouped per (user, module, quiz, pre/post): how many, the best
graded score, the first pass, whether the pre-test was skipped and the span of
activity. Only the module's current quiz counts (a renamed quiz's scores no
longer describe it). The quiz is done once a post-test is passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, func, select, tuple_

from kaptrain.kinds.base import FactSource
from kaptrain.models import QuizAttempt

_SUBMITTED = QuizAttempt.submitted_at.is_not(None) & ~QuizAttempt.skipped


def is_done(_item: Any, progress: Any) -> bool:
    """The quiz counts as done once a post-test is passed."""
    return bool(progress.passed)


def statement(users: Any, modules: Any) -> Select[Any]:
    """One row per (user, module, quiz, kind) of attempts."""
    qa = QuizAttempt
    return (
        select(
            qa.user_id,
            qa.module_id,
            qa.quiz_id,
            qa.kind,
            func.count(),
            func.count(case((_SUBMITTED, 1))),
            func.max(case((_SUBMITTED, qa.score))),
            func.min(case((qa.passed.is_(True), qa.submitted_at))),
            func.max(case((qa.skipped.is_(True), 1), else_=0)),
            func.min(qa.started_at),
            func.max(qa.submitted_at),
        )
        .where(users.match(qa.user_id), qa.module_id.in_(modules))
        .group_by(qa.user_id, qa.module_id, qa.quiz_id, qa.kind)
    )


def read(facts: Any, shape: Any, row: Sequence[Any]) -> None:
    """Fold one group of attempts into the trainee's facts on the module."""
    _user_id, _module_id, quiz_id, kind, started, count, best, *rest = row
    passed_at, skipped, *span = rest
    facts.seen(*span)
    if quiz_id != shape.quiz_id:
        return  # a quiz since renamed: its scores no longer describe this one
    if kind == "pre":
        facts.pre_score = None if best is None else float(best)
        facts.pre_skipped = bool(skipped)
        return
    facts.post_attempts = int(count)
    if started:
        facts.started.add(quiz_id)
    facts.best_post = None if best is None else float(best)
    facts.passed_at = facts.moment(passed_at)
    if facts.passed_at is not None:
        facts.done.add(quiz_id)


def overview(parts: Any) -> Select[Any]:
    """The dashboard's quiz branch: the current quiz once passed (when required),
    its best graded post-test score, and the span of activity."""
    qa = QuizAttempt
    groups = (
        select(
            qa.user_id,
            qa.module_id,
            qa.quiz_id,
            qa.kind,
            func.max(case((_SUBMITTED, qa.score))).label("best"),
            func.min(case((qa.passed.is_(True), qa.submitted_at))).label("passed_at"),
            func.min(qa.started_at).label("first"),
            func.max(qa.submitted_at).label("last"),
        )
        .where(parts.users.match(qa.user_id), qa.module_id.in_(parts.modules))
        .group_by(qa.user_id, qa.module_id, qa.quiz_id, qa.kind)
        .subquery()
    )
    q = groups.c
    graded_post = and_(
        q.kind != "pre", tuple_(q.module_id, q.quiz_id).in_(parts.quizzes)
    )
    passed = and_(
        graded_post, q.passed_at.is_not(None), parts.is_required(q.module_id, q.quiz_id)
    )
    return select(
        q.user_id,
        q.module_id,
        case((passed, q.quiz_id)),
        case((graded_post, q.best)),
        q.first,
        q.last,
        parts.no_time(),
        parts.not_certified(),
    )


SOURCE = FactSource(
    name="quizzes",
    statement=statement,
    read=read,
    overview=overview,
    grouped=True,
    stream_rows=400,
)
