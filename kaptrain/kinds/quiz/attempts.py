"""Quiz attempts: start (with a fixed layout), grade on the server, submit once.

Starting is a POST that inserts attempt ``number = previous max + 1``; the unique
(user, module, quiz, kind, number) constraint makes a double click create one
attempt. Submitting marks the attempt with a conditional UPDATE (``WHERE
submitted_at IS NULL``); only the request that wins stores responses and score,
so concurrent submits and replays all see the one stored result.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from kaptrain.content import Module, Question, Quiz
from kaptrain.extensions import db
from kaptrain.kinds.quiz import POST, PRE
from kaptrain.kinds.records import minutes_until, record_stamp
from kaptrain.learning.unit_of_work import learner_write
from kaptrain.models import QuizAttempt, QuizResponse, User, utcnow
from kaptrain.platform.database import insert_ignore

_rng = random.SystemRandom()


class QuizRefused(Exception):
    """Starting an attempt is not allowed now; ``message`` says why and when."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def attempts(user_id: int, module: Module, kind: str) -> list[QuizAttempt]:
    """The user's attempts of this module's quiz, oldest first."""
    return list(
        db.session.execute(
            select(QuizAttempt)
            .where(
                QuizAttempt.user_id == user_id,
                QuizAttempt.module_id == module.id,
                QuizAttempt.quiz_id == module.quiz.id,
                QuizAttempt.kind == kind,
            )
            .order_by(QuizAttempt.number)
        ).scalars()
    )


def attempt_or_none(
    user_id: int, module: Module, attempt_id: int
) -> QuizAttempt | None:
    """The user's own attempt of this module's quiz, else None (no IDOR)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if (
        attempt is None
        or attempt.user_id != user_id
        or attempt.module_id != module.id
        or attempt.quiz_id != module.quiz.id
    ):
        return None
    return attempt


def make_layout(quiz: Quiz) -> dict[str, Any]:
    """Question order as written; options shuffled when the quiz asks (order items
    always), so each attempt has its own stable arrangement."""
    questions = []
    for question in quiz.questions:
        keys = [o.key for o in question.options]
        if question.type == "order" or quiz.shuffle_options:
            _rng.shuffle(keys)
        questions.append({"id": question.id, "options": keys})
    return {"questions": questions}


def laid_out(quiz: Quiz, attempt: QuizAttempt) -> list[tuple[Question, list[Any]]]:
    """(question, options in this attempt's order) pairs, as the attempt was laid out.

    Questions or options that no longer exist in the content are dropped; new ones
    appear at the end, so an edit between start and submit never crashes a page.
    """
    result = []
    seen = set()
    for entry in (attempt.layout or {}).get("questions", []):
        question = quiz.question(str(entry.get("id")))
        if question is None or question.id in seen:
            continue
        seen.add(question.id)
        by_key = {o.key: o for o in question.options}
        options = [by_key[k] for k in entry.get("options", []) if k in by_key]
        options += [o for o in question.options if o not in options]
        result.append((question, options))
    result += [(q, list(q.options)) for q in quiz.questions if q.id not in seen]
    return result


def next_attempt_opens(quiz: Quiz, history: list[QuizAttempt]) -> dt.datetime | None:
    """When the retry wait after the latest submitted attempt ends, if it has not."""
    if not quiz.retry_wait_minutes:
        return None
    submitted = [a.submitted_at for a in history if a.submitted_at is not None]
    if not submitted:
        return None
    opens = max(submitted) + dt.timedelta(minutes=quiz.retry_wait_minutes)
    return opens if opens > utcnow() else None


def post_test_refusal(quiz: Quiz, history: list[QuizAttempt]) -> str | None:
    """Why a new post-test attempt cannot start now, or None if it can."""
    if any(a.passed for a in history):
        return "You have passed this post-test; there is no need for another attempt."
    used = sum(1 for a in history if a.submitted_at is not None)
    if quiz.max_attempts is not None and used >= quiz.max_attempts:
        return (
            f"You have used all {quiz.max_attempts} attempts at this post-test. "
            "Ask your supervisor about what to do next."
        )
    opens = next_attempt_opens(quiz, history)
    if opens is not None:
        wait = minutes_until(opens, utcnow())
        return (
            f"Your next attempt opens at {opens:%H:%M} UTC on {opens:%Y-%m-%d} "
            f"(in {wait} minute{'s' if wait != 1 else ''}). Use the time to review "
            "the lessons."
        )
    return None


def start_attempt(user: User, module: Module, kind: str) -> QuizAttempt:
    """Start an attempt (or return the open one); raise QuizRefused if not allowed."""
    quiz = module.quiz
    history = attempts(user.id, module, kind)
    open_attempt = next((a for a in history if a.submitted_at is None), None)
    if open_attempt is not None:
        return open_attempt
    if kind == PRE:
        if not quiz.pretest:
            raise QuizRefused("This module has no pre-test.")
        if history:
            raise QuizRefused("You have already taken or skipped the pre-test.")
        if attempts(user.id, module, POST):
            raise QuizRefused(
                "The pre-test is only offered before the post-test is started."
            )
    else:
        refusal = post_test_refusal(quiz, history)
        if refusal is not None:
            raise QuizRefused(refusal)
    number = 1 if kind == PRE else _max_number(user.id, module, kind) + 1
    with learner_write(
        user, module, quiz.id, kind="quiz_started", certify=False
    ) as write:
        write.outcome["kind"] = kind
        insert_ignore(
            QuizAttempt,
            {
                "user_id": user.id,
                "quiz_id": quiz.id,
                "kind": kind,
                "number": number,
                "layout": make_layout(quiz),
                "started_at": utcnow(),
                "skipped": False,
                **record_stamp(module),
            },
        )
        attempt = _attempt_number(user.id, module, kind, number)
        write.outcome.update(attempt_id=attempt.id, number=number)
    return attempt


def skip_pretest(user: User, module: Module) -> None:
    """Record that the trainee chose to skip the pre-test (once)."""
    if not module.quiz.pretest:
        raise QuizRefused("This module has no pre-test.")
    now = utcnow()
    with learner_write(
        user, module, module.quiz.id, kind="pretest_skipped", certify=False
    ):
        insert_ignore(
            QuizAttempt,
            {
                "user_id": user.id,
                "quiz_id": module.quiz.id,
                "kind": PRE,
                "number": 1,
                "layout": {},
                "started_at": now,
                "submitted_at": now,
                "skipped": True,
                **record_stamp(module),
            },
        )


def _max_number(user_id: int, module: Module, kind: str) -> int:
    return db.session.execute(
        select(func.coalesce(func.max(QuizAttempt.number), 0)).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.module_id == module.id,
            QuizAttempt.quiz_id == module.quiz.id,
            QuizAttempt.kind == kind,
        )
    ).scalar_one()


def _attempt_number(
    user_id: int, module: Module, kind: str, number: int
) -> QuizAttempt:
    return db.session.execute(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.module_id == module.id,
            QuizAttempt.quiz_id == module.quiz.id,
            QuizAttempt.kind == kind,
            QuizAttempt.number == number,
        )
    ).scalar_one()


@dataclass
class Answers:
    """Parsed answers keyed by question id, kept even when some are missing."""

    given: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def parse_answers(items: list[tuple[Question, list[Any]]], form: Any) -> Answers:
    """Read the attempt form; every item must be answered (order: each step once).

    Form values are positions in this attempt's option order, never option keys:
    keys follow the written order, which for ``order`` items is the answer.
    """
    result = Answers()
    for number, (question, options) in enumerate(items, 1):
        by_value = {str(n): o.key for n, o in enumerate(options, 1)}
        name = f"q-{question.id}"
        if question.type == "order":
            chosen = [
                by_value.get(form.get(f"{name}-{position}", ""), "")
                for position in range(1, len(options) + 1)
            ]
            result.given[question.id] = chosen
            if not all(chosen):
                result.errors[question.id] = (
                    f"Question {number}: choose a step for every position"
                )
            elif len(set(chosen)) != len(chosen):
                result.errors[question.id] = f"Question {number}: use each step once"
            continue
        if question.type == "multiple":
            values = form.getlist(name)
        else:
            values = [form.get(name, "")]
        chosen = [by_value[v] for v in values if v in by_value]
        result.given[question.id] = list(dict.fromkeys(chosen))
        if not chosen:
            result.errors[question.id] = f"Question {number}: choose an answer"
    return result


def is_correct(question: Question, answer: list[str]) -> bool:
    """All-or-nothing: the exact set of correct keys (for order: the exact order)."""
    if question.type == "order":
        return tuple(answer) == tuple(o.key for o in question.options)
    return set(answer) == set(question.correct_keys)


def submit_attempt(
    user: User, module: Module, attempt: QuizAttempt, answers: Answers
) -> bool:
    """Grade and store the attempt once; True if this request stored it."""
    quiz = module.quiz
    items = laid_out(quiz, attempt)
    graded = [
        (position, question, answers.given.get(question.id, []))
        for position, (question, _options) in enumerate(items)
    ]
    correct = sum(1 for _p, q, a in graded if is_correct(q, a))
    count = len(graded)
    score = round(100.0 * correct / count, 2) if count else 0.0
    passed = score >= quiz.pass_percent if attempt.kind == POST else None
    won = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(
            submitted_at=utcnow(),
            correct_count=correct,
            item_count=count,
            score=score,
            passed=passed,
            module_version=module.version,
            content_hash=module.content_hash,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        return False
    with learner_write(
        user, module, quiz.id, kind="quiz_submitted", certify=bool(passed)
    ) as write:
        write.outcome.update(kind=attempt.kind, score=score, passed=passed)
        # What the xAPI statements need (kaptrain.xapi): ids and each answer.
        write.outcome.update(
            attempt_id=attempt.id,
            number=attempt.number,
            correct_count=correct,
            item_count=count,
            responses=[[q.id, a, is_correct(q, a)] for _p, q, a in graded],
        )
        insert_ignore(
            QuizResponse,
            [
                {
                    "attempt_id": attempt.id,
                    "question_id": q.id,
                    "position": position,
                    "answer": answer,
                    "correct": is_correct(q, answer),
                }
                for position, q, answer in graded
            ],
        )
    db.session.refresh(attempt)
    return True
