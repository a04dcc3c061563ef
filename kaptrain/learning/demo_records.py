"""Demo data for ``flask demo``: one module completed, honestly, by a trainee.

The records are the ones a trainee would leave by working through the module
(back-dated over the past days, each item taking at least its estimated
minutes): every required lesson done, each required case played to an ending by
its best-rated choices, the post-test passed with the keyed answers, the course
evaluation submitted. They go through the one learner-write path, which issues
the certificate; its Open Badges credential is signed when first viewed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kaptrain.content import Module
from kaptrain.extensions import db
from kaptrain.kinds.records import record_stamp
from kaptrain.learning.certificates import certificate_for
from kaptrain.learning.course import current_catalog
from kaptrain.learning.unit_of_work import learner_write
from kaptrain.models import (
    Certificate,
    EvaluationResponse,
    ItemProgress,
    QuizAttempt,
    QuizResponse,
    User,
    VignetteRun,
    VignetteStep,
    utcnow,
)


def _vignette_run(user: User, module: Module, item: Any, at: dt.datetime) -> Any:
    """A finished run along the best-rated choices from the start to an ending."""
    run = VignetteRun(
        user_id=user.id,
        vignette_id=item.id,
        number=1,
        started_at=at,
        **record_stamp(module),
    )
    node, seq, steps = item.nodes[item.start], 0, []
    minute = dt.timedelta(minutes=max(1, item.estimated_minutes // 4))
    while node.kind != "ending" and seq < 50:
        seq += 1
        if node.choices:
            ranked = {"best": 0, "ok": 1, "avoid": 2}
            choice = min(node.choices, key=lambda c: ranked.get(c.rating, 3))
            key, rating, target = choice.key, choice.rating, choice.target
        else:
            key, rating, target = None, None, node.next or ""
        steps.append(
            VignetteStep(
                seq=seq,
                node_id=node.id,
                choice_key=key,
                rating=rating,
                target=target,
                at=at + minute * seq,
            )
        )
        node = item.nodes[target]
    run.steps = steps
    run.step_count = seq
    run.current_node = node.id
    run.ending_id = node.id
    run.last_step_at = at + minute * seq
    run.finished_at = at + dt.timedelta(minutes=item.estimated_minutes)
    return run


def _passed_post_test(user: User, module: Module, at: dt.datetime) -> QuizAttempt:
    quiz = module.quiz
    attempt = QuizAttempt(
        user_id=user.id,
        quiz_id=quiz.id,
        kind="post",
        number=1,
        layout={
            "questions": [
                {"id": q.id, "options": [o.key for o in q.options]}
                for q in quiz.questions
            ]
        },
        started_at=at,
        submitted_at=at + dt.timedelta(minutes=quiz.estimated_minutes),
        correct_count=len(quiz.questions),
        item_count=len(quiz.questions),
        score=100.0,
        passed=True,
        **record_stamp(module),
    )
    attempt.responses = [
        QuizResponse(
            question_id=q.id,
            position=n,
            # The written order is the answer of an ``order`` item.
            answer=[o.key for o in q.options if o.correct or q.type == "order"],
            correct=True,
        )
        for n, q in enumerate(quiz.questions)
    ]
    return attempt


def _record(user: User, module: Module, item: Any, at: dt.datetime) -> Any:
    if item.kind == "lesson":
        return ItemProgress(
            user_id=user.id,
            item_id=item.id,
            status="done",
            started_at=at,
            completed_at=at + dt.timedelta(minutes=item.estimated_minutes + 3),
            **record_stamp(module),
        )
    if item.kind == "vignette":
        return _vignette_run(user, module, item, at)
    if item.kind == "quiz":
        return _passed_post_test(user, module, at)
    return EvaluationResponse(
        user_id=user.id,
        evaluation_id=item.id,
        ratings={key: 4 for key, _label in item.ratings},
        comments={},
        submitted_at=at + dt.timedelta(minutes=item.estimated_minutes),
        **record_stamp(module),
    )


def complete_a_module(user: User, days_ago: int = 3) -> Certificate | None:
    """Complete the catalog's first module for ``user`` and return the certificate
    (the existing one when run again); None when there is no content."""
    catalog = current_catalog()
    if not catalog.modules:
        return None
    module = catalog.modules[0]
    existing = certificate_for(user.id, module.id)
    if existing is not None:
        return existing
    at = utcnow() - dt.timedelta(days=days_ago)
    with learner_write(user, module, kind="demo_module_completed") as write:
        for item in module.required_items:
            db.session.add(_record(user, module, item, at))
            at += dt.timedelta(minutes=item.estimated_minutes + 10)
    return write.certificate


def demo_certificate(email: str) -> list[str]:
    """Give the account ``email`` a completed module and make sure the site can
    sign its credential (creating the signing key if there is none); return the
    lines ``flask demo`` prints."""
    from kaptrain.learning.credentials import keys
    from kaptrain.people.accounts import find_user

    user = find_user(email)
    if user is None:
        return []
    cert = complete_a_module(user)
    if cert is None:
        return [f"No modules in the catalog: {email} has no certificate to show."]
    lines = [
        f"{email} completed “{cert.module_title}”: certificate {cert.code} "
        f"(open it under Progress; /verify/{cert.code} checks it)."
    ]
    if keys.private_key() is None:
        public = keys.generate()
        lines.append(
            f"Created the credential signing key {public} in instance/; back it "
            "up apart from the database (docs/credentials.md)."
        )
    return lines
