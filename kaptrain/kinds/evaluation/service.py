"""The course evaluation: read the form (ratings 1-5, comments), store it once.

The write is idempotent (one response per trainee and module: unique constraint
plus ``insert_ignore``) and goes through the unit of work, which issues a
certificate if the module is now complete and commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from kaptrain.content import Evaluation, Module
from kaptrain.extensions import db
from kaptrain.kinds.records import record_stamp
from kaptrain.learning.unit_of_work import learner_write
from kaptrain.models import COMMENT_MAX, EvaluationResponse, User, utcnow
from kaptrain.platform.database import insert_ignore


@dataclass
class EvaluationInput:
    """A parsed evaluation form: values kept even when invalid, plus errors."""

    ratings: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def parse_evaluation(evaluation: Evaluation, form: dict[str, str]) -> EvaluationInput:
    """Read ratings (each 1-5, all required) and comments (optional, capped)."""
    result = EvaluationInput()
    for rating_id, statement in evaluation.ratings:
        value = (form.get(f"rating-{rating_id}") or "").strip()
        result.ratings[rating_id] = value
        if value not in {"1", "2", "3", "4", "5"}:
            result.errors[f"rating-{rating_id}"] = (
                f"Choose a rating from 1 to 5 for “{statement}”"
            )
    for comment_id, _prompt in evaluation.comments:
        value = (form.get(f"comment-{comment_id}") or "").replace("\r\n", "\n")
        result.comments[comment_id] = value
        if len(value) > COMMENT_MAX:
            result.errors[f"comment-{comment_id}"] = (
                f"Shorten this comment to {COMMENT_MAX:,} characters or fewer "
                f"(it has {len(value):,})"
            )
    return result


def evaluation_response(user_id: int, module_id: str) -> EvaluationResponse | None:
    """The user's submitted evaluation for this module, if any."""
    return db.session.execute(
        select(EvaluationResponse).where(
            EvaluationResponse.user_id == user_id,
            EvaluationResponse.module_id == module_id,
        )
    ).scalar_one_or_none()


def submit_evaluation(
    user: User, module: Module, evaluation: Evaluation, data: EvaluationInput
) -> bool:
    """Store the evaluation once; True if this call stored it."""
    with learner_write(
        user, module, evaluation.id, kind="evaluation_submitted"
    ) as write:
        inserted = insert_ignore(
            EvaluationResponse,
            {
                "user_id": user.id,
                "evaluation_id": evaluation.id,
                "ratings": {k: int(v) for k, v in data.ratings.items()},
                "comments": {
                    k: v.strip() for k, v in data.comments.items() if v.strip()
                },
                "submitted_at": utcnow(),
                **record_stamp(module),
            },
        )
        write.outcome["stored"] = bool(inserted)
        if inserted:  # the ratings only: comments never leave the database
            write.outcome["ratings"] = {k: int(v) for k, v in data.ratings.items()}
    return bool(inserted)
