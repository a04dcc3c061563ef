"""Services for lesson completion and the course evaluation.

Each write is idempotent (unique constraint plus ``insert_ignore``), then asks
whether the module is now complete, then commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from kaptrain.content import Evaluation, Lesson, Module
from kaptrain.extensions import db
from kaptrain.learning.progress import DONE
from kaptrain.learning.unit_of_work import learner_write
from kaptrain.models import COMMENT_MAX, EvaluationResponse, ItemProgress, User, utcnow
from kaptrain.platform.database import insert_ignore
from kaptrain.web.learn.common import record_stamp


def mark_item_done(user: User, module: Module, item_id: str) -> None:
    """Record an item as done (no commit): insert, or finish an in-progress row."""
    now = utcnow()
    inserted = insert_ignore(
        ItemProgress,
        {
            "user_id": user.id,
            "item_id": item_id,
            "status": DONE,
            "started_at": now,
            "completed_at": now,
            **record_stamp(module),
        },
    )
    if not inserted:
        db.session.execute(
            update(ItemProgress)
            .where(
                ItemProgress.user_id == user.id,
                ItemProgress.module_id == module.id,
                ItemProgress.item_id == item_id,
                ItemProgress.status != DONE,
            )
            .values(
                status=DONE,
                completed_at=now,
                module_version=module.version,
                content_hash=module.content_hash,
            )
        )


def mark_item_started(user: User, module: Module, item_id: str) -> None:
    """Record an item as begun (no commit); a done item stays done."""
    insert_ignore(
        ItemProgress,
        {
            "user_id": user.id,
            "item_id": item_id,
            "status": "in_progress",
            "started_at": utcnow(),
            **record_stamp(module),
        },
    )


def complete_lesson(user: User, module: Module, lesson: Lesson) -> None:
    """Mark a lesson complete (a repeat is harmless) and issue any certificate."""
    with learner_write(user, module, lesson.id, kind="lesson_completed"):
        mark_item_done(user, module, lesson.id)


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
