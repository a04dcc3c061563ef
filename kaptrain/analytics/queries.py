"""Load the records item analysis and knowledge gain need, in fixed queries.

The only part of ``analytics`` that touches the database. ``users`` arguments
are a SELECT of user ids (used as an IN-subquery) so the caller's access rule,
not this module, decides whose records are read; None means everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from kaptrain.analytics.items import AttemptRecord
from kaptrain.extensions import db
from kaptrain.models import QuizAttempt, QuizResponse

POST = "post"
PRE = "pre"


@dataclass(frozen=True)
class QuizVersion:
    """A (module version, content hash) under which post-tests were submitted."""

    module_version: str
    content_hash: str
    attempts: int
    last_submitted: dt.datetime | None

    @property
    def key(self) -> str:
        return f"{self.module_version}:{self.content_hash[:12]}"


def _graded(module_id: str, quiz_id: str, kind: str) -> list[Any]:
    return [
        QuizAttempt.module_id == module_id,
        QuizAttempt.quiz_id == quiz_id,
        QuizAttempt.kind == kind,
        QuizAttempt.submitted_at.is_not(None),
        QuizAttempt.skipped.is_(False),
    ]


def all_quiz_versions(
    users: Select[Any] | None = None, module_id: str | None = None
) -> dict[tuple[str, str], list[QuizVersion]]:
    """Per (module, quiz), versions with submitted post-tests, newest first
    (one query)."""
    query = (
        select(
            QuizAttempt.module_id,
            QuizAttempt.quiz_id,
            QuizAttempt.module_version,
            QuizAttempt.content_hash,
            func.count(QuizAttempt.id),
            func.max(QuizAttempt.submitted_at),
        )
        .where(
            QuizAttempt.kind == POST,
            QuizAttempt.submitted_at.is_not(None),
            QuizAttempt.skipped.is_(False),
        )
        .group_by(
            QuizAttempt.module_id,
            QuizAttempt.quiz_id,
            QuizAttempt.module_version,
            QuizAttempt.content_hash,
        )
    )
    if users is not None:
        query = query.where(QuizAttempt.user_id.in_(users))
    if module_id is not None:
        query = query.where(QuizAttempt.module_id == module_id)
    result: dict[tuple[str, str], list[QuizVersion]] = {}
    for mid, qid, version, content_hash, count, last in db.session.execute(query):
        result.setdefault((mid, qid), []).append(
            QuizVersion(version, content_hash, int(count), _aware(last))
        )
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    for versions in result.values():
        versions.sort(key=lambda v: (v.last_submitted or epoch, v.key), reverse=True)
    return result


def quiz_versions(
    module_id: str, quiz_id: str, users: Select[Any] | None = None
) -> list[QuizVersion]:
    """Versions of one quiz with submitted post-tests, newest first (one query)."""
    return all_quiz_versions(users, module_id).get((module_id, quiz_id), [])


def load_attempts(
    module_id: str,
    quiz_id: str,
    version: QuizVersion,
    *,
    users: Select[Any] | None = None,
    first_only: bool = False,
) -> list[AttemptRecord]:
    """Submitted post-test attempts of one version with their answers (one query)."""
    query = (
        select(
            QuizAttempt.id,
            QuizAttempt.user_id,
            QuizResponse.question_id,
            QuizResponse.answer,
            QuizResponse.correct,
        )
        .outerjoin(QuizResponse, QuizResponse.attempt_id == QuizAttempt.id)
        .where(
            *_graded(module_id, quiz_id, POST),
            QuizAttempt.module_version == version.module_version,
            QuizAttempt.content_hash == version.content_hash,
        )
        .order_by(QuizAttempt.id)
    )
    if users is not None:
        query = query.where(QuizAttempt.user_id.in_(users))
    if first_only:
        query = query.where(QuizAttempt.number == 1)
    answers: dict[int, dict[str, tuple[tuple[str, ...], bool]]] = {}
    owners: dict[int, int] = {}
    for attempt_id, user_id, question_id, answer, correct in db.session.execute(query):
        owners[attempt_id] = user_id
        row = answers.setdefault(attempt_id, {})
        if question_id is not None:
            row[question_id] = (tuple(str(k) for k in answer or ()), bool(correct))
    return [AttemptRecord(aid, owners[aid], answers[aid]) for aid in owners]


def first_scores(
    module_ids: Sequence[str], users: Select[Any]
) -> dict[str, tuple[dict[int, float], dict[int, float]]]:
    """Per module, each user's first graded pre-test and first graded post-test
    score: ``{module_id: (pre, post)}`` (one query).

    The first post-test, not the best, so retakes after feedback on the same
    items do not inflate the gain.
    """
    result: dict[str, tuple[dict[int, float], dict[int, float]]] = {
        module_id: ({}, {}) for module_id in module_ids
    }
    if not module_ids:
        return result
    query = (
        select(
            QuizAttempt.module_id,
            QuizAttempt.user_id,
            QuizAttempt.kind,
            QuizAttempt.score,
        )
        .where(
            QuizAttempt.module_id.in_(list(module_ids)),
            QuizAttempt.user_id.in_(users),
            QuizAttempt.submitted_at.is_not(None),
            QuizAttempt.skipped.is_(False),
            QuizAttempt.score.is_not(None),
        )
        .order_by(QuizAttempt.number.desc())
    )
    for module_id, user_id, kind, score in db.session.execute(query):
        pre, post = result[module_id]
        # Rows come last-number first, so the first attempt is written last.
        (pre if kind == PRE else post)[user_id] = float(score)
    return result


def _aware(value: Any) -> dt.datetime | None:
    # max() bypasses the column type on SQLite and may return a naive value or text.
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
