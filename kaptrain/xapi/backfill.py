"""Queue statements for records made before xAPI was configured.

The backfill rebuilds, from the stored records, the same events the
learner-write path announces (kind, item, outcome, time) and builds their
statements with the same functions, so every statement gets the id it would
have had: rows already in the outbox (queued live, or by an earlier backfill)
are skipped by the insert, and running it twice queues nothing twice.

Lessons are recognised through the current catalog: a lesson of a module the
catalog no longer serves is not backfilled (its kind cannot be told apart).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.models import (
    Certificate,
    EvaluationResponse,
    ItemProgress,
    JournalEntry,
    QuizAttempt,
    User,
    VignetteRun,
)
from kaptrain.xapi.outbox import builder, event_statements, queue, rows

CHUNK = 500


@dataclass(order=True)
class Fact:
    """One rebuilt learner event (sorted by time, so "module started" gets the
    time of the trainee's first record in the module)."""

    at: dt.datetime
    kind: str = field(compare=False)
    module_id: str = field(compare=False)
    item_id: str | None = field(compare=False)
    outcome: dict[str, Any] = field(compare=False)
    version: str = field(compare=False)
    content_hash: str = field(compare=False)
    certificate: Certificate | None = field(compare=False, default=None)


def _after(column: Any, since: dt.datetime | None) -> Any:
    return column >= since if since is not None else column.is_not(None)


def _lessons(user_id: int, since: dt.datetime | None) -> Iterator[Fact]:
    catalog = current_catalog()
    for row in db.session.execute(
        select(ItemProgress).where(
            ItemProgress.user_id == user_id,
            ItemProgress.status == "done",
            _after(ItemProgress.completed_at, since),
        )
    ).scalars():
        module = catalog.get(row.module_id)
        item = module.item(row.item_id) if module is not None else None
        if item is not None and item.kind == "lesson":
            yield Fact(
                row.completed_at,
                "lesson_completed",
                row.module_id,
                row.item_id,
                {},
                row.module_version,
                row.content_hash,
            )


def _attempts(user_id: int, since: dt.datetime | None) -> Iterator[Fact]:
    query = (
        select(QuizAttempt)
        .options(selectinload(QuizAttempt.responses))
        .where(QuizAttempt.user_id == user_id, QuizAttempt.skipped.is_(False))
    )
    for a in db.session.execute(query).scalars():
        stamp = (a.module_id, a.quiz_id)
        ids = {"kind": a.kind, "attempt_id": a.id, "number": a.number}
        if since is None or a.started_at >= since:
            yield Fact(
                a.started_at,
                "quiz_started",
                *stamp,
                ids,
                a.module_version,
                a.content_hash,
            )
        if a.submitted_at is None or (since is not None and a.submitted_at < since):
            continue
        outcome = {
            **ids,
            "score": a.score or 0.0,
            "passed": a.passed,
            "correct_count": a.correct_count,
            "item_count": a.item_count,
            "responses": [
                [r.question_id, list(r.answer), r.correct] for r in a.responses
            ],
        }
        yield Fact(
            a.submitted_at,
            "quiz_submitted",
            *stamp,
            outcome,
            a.module_version,
            a.content_hash,
        )


def _runs(user_id: int, since: dt.datetime | None) -> Iterator[Fact]:
    query = (
        select(VignetteRun)
        .options(selectinload(VignetteRun.steps))
        .where(VignetteRun.user_id == user_id)
    )
    for run in db.session.execute(query).scalars():
        last = run.step_count if run.finished_at is not None else None
        for step in run.steps:
            if since is not None and step.at < since:
                continue
            ending = run.ending_id if step.seq == last else None
            outcome = {
                "step": step.seq,
                "target": step.target,
                "finished": ending is not None,
                "run_id": run.id,
                "node_id": step.node_id,
                "choice_key": step.choice_key,
                "rating": step.rating,
                "ending": ending,
            }
            yield Fact(
                step.at,
                "case_step",
                run.module_id,
                run.vignette_id,
                outcome,
                run.module_version,
                run.content_hash,
            )


def _evaluations(user_id: int, since: dt.datetime | None) -> Iterator[Fact]:
    for e in db.session.execute(
        select(EvaluationResponse).where(
            EvaluationResponse.user_id == user_id,
            _after(EvaluationResponse.submitted_at, since),
        )
    ).scalars():
        outcome = {"stored": True, "ratings": dict(e.ratings)}
        yield Fact(
            e.submitted_at,
            "evaluation_submitted",
            e.module_id,
            e.evaluation_id,
            outcome,
            e.module_version,
            e.content_hash,
        )


def _shared(user_id: int, since: dt.datetime | None) -> Iterator[Fact]:
    """Shared journal entries (their sharing time is not kept: the last edit's)."""
    catalog = current_catalog()
    for j in db.session.execute(
        select(JournalEntry).where(
            JournalEntry.user_id == user_id,
            JournalEntry.shared.is_(True),
            _after(JournalEntry.updated_at, since),
        )
    ).scalars():
        module = catalog.get(j.module_id or "")
        outcome = {"entry_id": j.id, "run_id": j.run_id, "node_id": j.node_id}
        version, content_hash = (
            (module.version, module.content_hash) if module else ("", "")
        )
        yield Fact(
            j.updated_at,
            "reflection_shared",
            j.module_id or "",
            j.vignette_id,
            outcome,
            version,
            content_hash,
        )


def _certificates(user_id: int, since: dt.datetime | None) -> Iterator[Fact]:
    catalog = current_catalog()
    for c in db.session.execute(
        select(Certificate).where(
            Certificate.user_id == user_id, _after(Certificate.completed_at, since)
        )
    ).scalars():
        module = catalog.get(c.module_id)
        same = module is not None and module.version == c.module_version
        content_hash = module.content_hash if same and module is not None else ""
        yield Fact(
            c.completed_at,
            "certificate",
            c.module_id,
            None,
            {},
            c.module_version,
            content_hash,
            c,
        )


def backfill_user(user: User, since: dt.datetime | None) -> int:
    """Queue the statements of one user's records; the number of new rows."""
    facts = sorted(
        [
            *_lessons(user.id, since),
            *_attempts(user.id, since),
            *_runs(user.id, since),
            *_evaluations(user.id, since),
            *_shared(user.id, since),
            *_certificates(user.id, since),
        ]
    )
    catalog = current_catalog()
    found: dict[str, dict[str, Any]] = {}
    for fact in facts:
        module = catalog.get(fact.module_id)
        b = builder(user, fact.module_id, module, fact.version, fact.content_hash)
        for statement in event_statements(
            b, fact.kind, fact.item_id, fact.outcome, fact.at, module, fact.certificate
        ):
            found.setdefault(statement["id"], rows([statement], fact.kind, user.id)[0])
    batch, added = list(found.values()), 0
    for start in range(0, len(batch), CHUNK):
        added += queue(batch[start : start + CHUNK])
    db.session.commit()
    return added


def backfill(since: dt.datetime | None = None) -> tuple[int, int]:
    """Queue statements for every user's records: (users seen, rows added)."""
    users = added = 0
    for user in db.session.execute(select(User).order_by(User.id)).scalars().all():
        users += 1
        added += backfill_user(user, since)
    return users, added
