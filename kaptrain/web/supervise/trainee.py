"""One trainee seen by a supervisor: progress, attempts, vignette replays, the
evaluation, and only the journal entries the trainee shared.

The caller has checked access with ``access.trainee_or_404``. Unshared entries
are filtered out in the query itself, so no page built from these functions can
show one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kaptrain.content import Module, Node, Question, Vignette
from kaptrain.extensions import db
from kaptrain.models import (
    COMMENT_MAX,
    Cohort,
    CohortMember,
    EvaluationResponse,
    ItemProgress,
    JournalComment,
    JournalEntry,
    QuizAttempt,
    User,
    VignetteRun,
)
from kaptrain.people import audit
from kaptrain.people.access import supervised_cohorts
from kaptrain.platform.database import begin_write, set_write_intent


class CommentError(ValueError):
    """The comment cannot be saved as written; the message says why."""


def shared_entries(trainee: User, module_id: str | None = None) -> list[JournalEntry]:
    """The trainee's shared entries, newest first, with comments and their authors."""
    query = (
        select(JournalEntry)
        .where(JournalEntry.user_id == trainee.id, JournalEntry.shared.is_(True))
        .options(
            selectinload(JournalEntry.comments).selectinload(JournalComment.author)
        )
        .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
    )
    if module_id is not None:
        query = query.where(JournalEntry.module_id == module_id)
    return list(db.session.execute(query).scalars())


def visible_cohorts(viewer: User, trainee: User) -> list[Cohort]:
    """The trainee's cohorts that ``viewer`` supervises."""
    query = supervised_cohorts(viewer).join(
        CohortMember, CohortMember.cohort_id == Cohort.id
    )
    return list(
        db.session.execute(query.where(CohortMember.user_id == trainee.id)).scalars()
    )


def record_shared_viewed(viewer: User, trainee: User, count: int, where: str) -> None:
    """Audit that ``viewer`` opened ``trainee``'s shared reflections (from a GET)."""
    begin_write()
    audit.record(
        "shared_reflections_viewed",
        actor=viewer,
        subject=trainee,
        detail=f"{count} shared entries on {where}",
    )
    db.session.commit()
    # Back to read-only transactions for the rest of the page.
    set_write_intent(False)


def add_comment(
    viewer: User, trainee: User, entry_id: int, body: str
) -> JournalComment:
    """Comment on one of the trainee's shared entries.

    Raises LookupError when the entry is not the trainee's or is not shared (the
    view answers 404), CommentError when the text is empty or too long.
    """
    entry = db.session.execute(
        select(JournalEntry).where(
            JournalEntry.id == entry_id,
            JournalEntry.user_id == trainee.id,
            JournalEntry.shared.is_(True),
        )
    ).scalar_one_or_none()
    if entry is None:
        raise LookupError(entry_id)
    text = body.strip()
    if not text:
        raise CommentError("Write a comment before sending it.")
    if len(text) > COMMENT_MAX:
        raise CommentError(
            f"A comment is at most {COMMENT_MAX:,} characters; this one has "
            f"{len(text):,}. Shorten it and send it again."
        )
    comment = JournalComment(entry_id=entry.id, author_id=viewer.id, body=text)
    db.session.add(comment)
    db.session.commit()
    return comment


@dataclass(frozen=True)
class AnswerView:
    question_id: str
    question: Question | None
    chosen: tuple[tuple[str, str | None], ...]  # (key, option html or None)
    correct: bool


@dataclass(frozen=True)
class AttemptView:
    attempt: QuizAttempt
    answers: tuple[AnswerView, ...]
    same_version: bool


@dataclass(frozen=True)
class StepView:
    node_id: str
    node: Node | None
    choice_key: str | None
    choice_html: str | None
    rating: str | None
    at: dt.datetime
    entry: JournalEntry | None  # the shared reflection written at this node
    private_reflection: bool  # a reflection exists here but is not shared


@dataclass(frozen=True)
class RunView:
    run: VignetteRun
    vignette: Vignette | None
    steps: tuple[StepView, ...]
    ending: Node | None
    same_version: bool


@dataclass
class ModuleDetail:
    module: Module
    items: list[ItemProgress] = field(default_factory=list)
    attempts: list[AttemptView] = field(default_factory=list)
    runs: list[RunView] = field(default_factory=list)
    evaluation: EvaluationResponse | None = None
    entries: list[JournalEntry] = field(default_factory=list)

    def item_title(self, item_id: str) -> str:
        item = self.module.item(item_id)
        return item.title if item is not None else item_id


def _attempt_view(attempt: QuizAttempt, module: Module) -> AttemptView:
    quiz = module.quiz if module.quiz.id == attempt.quiz_id else None
    answers = []
    for response in attempt.responses:
        question = quiz.question(response.question_id) if quiz else None
        options = {o.key: o.text_html for o in question.options} if question else {}
        chosen = tuple((str(key), options.get(str(key))) for key in response.answer)
        answers.append(
            AnswerView(response.question_id, question, chosen, bool(response.correct))
        )
    return AttemptView(
        attempt, tuple(answers), attempt.content_hash == module.content_hash
    )


def _run_view(
    run: VignetteRun,
    module: Module,
    shared: dict[tuple[int, str], JournalEntry],
    private: set[tuple[int, str]],
) -> RunView:
    found = module.item(run.vignette_id)
    vignette = found if isinstance(found, Vignette) else None
    nodes = vignette.nodes if vignette else {}
    steps = []
    for step in run.steps:
        node = nodes.get(step.node_id)
        choice = None
        if node is not None and step.choice_key is not None:
            choice = next((c for c in node.choices if c.key == step.choice_key), None)
        steps.append(
            StepView(
                node_id=step.node_id,
                node=node,
                choice_key=step.choice_key,
                choice_html=choice.text_html if choice else None,
                rating=step.rating,
                at=step.at,
                entry=shared.get((run.id, step.node_id)),
                private_reflection=(run.id, step.node_id) in private,
            )
        )
    ending = nodes.get(run.ending_id) if run.ending_id else None
    return RunView(
        run, vignette, tuple(steps), ending, run.content_hash == module.content_hash
    )


def module_detail(trainee: User, module: Module) -> ModuleDetail:
    """Everything the trainee did in ``module`` (a fixed number of queries)."""
    detail = ModuleDetail(module)
    detail.items = list(
        db.session.execute(
            select(ItemProgress)
            .where(
                ItemProgress.user_id == trainee.id,
                ItemProgress.module_id == module.id,
            )
            .order_by(ItemProgress.started_at, ItemProgress.id)
        ).scalars()
    )
    attempts = db.session.execute(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == trainee.id, QuizAttempt.module_id == module.id)
        .options(selectinload(QuizAttempt.responses))
        .order_by(QuizAttempt.kind.desc(), QuizAttempt.number)  # pre before post
    ).scalars()
    detail.attempts = [_attempt_view(a, module) for a in attempts]
    runs = list(
        db.session.execute(
            select(VignetteRun)
            .where(
                VignetteRun.user_id == trainee.id, VignetteRun.module_id == module.id
            )
            .options(selectinload(VignetteRun.steps))
            .order_by(VignetteRun.vignette_id, VignetteRun.number)
        ).scalars()
    )
    entries = shared_entries(trainee, module.id)
    shared = {(e.run_id, e.node_id): e for e in entries if e.run_id is not None}
    # For unshared reflections only where they were written is read, never the text.
    private = {
        (run_id, node_id)
        for run_id, node_id in db.session.execute(
            select(JournalEntry.run_id, JournalEntry.node_id).where(
                JournalEntry.user_id == trainee.id,
                JournalEntry.run_id.in_([run.id for run in runs]),
                JournalEntry.shared.is_(False),
            )
        )
    }
    detail.runs = [_run_view(run, module, shared, private) for run in runs]
    detail.evaluation = db.session.execute(
        select(EvaluationResponse).where(
            EvaluationResponse.user_id == trainee.id,
            EvaluationResponse.module_id == module.id,
        )
    ).scalar_one_or_none()
    detail.entries = entries
    return detail


__all__ = [
    "CommentError",
    "ModuleDetail",
    "add_comment",
    "module_detail",
    "record_shared_viewed",
    "shared_entries",
    "visible_cohorts",
]
