"""CSV exports of a cohort: progress per trainee and module, and every attempt
with its per-item answers.

Readable by spreadsheet programs: UTF-8 with a byte-order mark (so Excel does
not guess the encoding), CRLF line ends from the ``csv`` module, timestamps in
ISO 8601 UTC. A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be read as a formula, so it is prefixed with ``'``
(OWASP's advice on CSV injection). Rows are produced by generators that read
the database in batches, so memory stays flat however large the cohort.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from kaptrain.content import Catalog
from kaptrain.extensions import db
from kaptrain.learning.progress import progress_in_order
from kaptrain.models import (
    Certificate,
    Cohort,
    CohortMember,
    QuizAttempt,
    QuizResponse,
    User,
)
from kaptrain.people import audit
from kaptrain.platform.database import begin_write, set_write_intent
from kaptrain.web.supervise.cohorts import member_ids

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Rows fetched per round trip for the progress export's certificate versions
#: (at most one per trainee and module; see progress.STREAM_ROWS).
VERSION_ROWS = 100
#: The progress export's order of trainees.
EXPORT_ORDER = (User.email,)
#: Rows fetched per round trip for the attempts export.
ATTEMPT_BATCH = 1000

PROGRESS_COLUMNS = (
    "email",
    "name",
    "module_id",
    "module_version",
    "status",
    "lessons_done",
    "lessons_total",
    "pretest_score",
    "pretest_skipped",
    "best_post_score",
    "post_attempts",
    "passed_at",
    "ce_hours",
    "certificate_code",
    "completed_at",
    "first_activity",
    "last_activity",
)

ATTEMPT_COLUMNS = (
    "email",
    "name",
    "module_id",
    "module_version",
    "content_hash",
    "quiz_id",
    "kind",
    "attempt_number",
    "started_at",
    "submitted_at",
    "skipped",
    "score",
    "passed",
    "item_position",
    "question_id",
    "answer",
    "item_correct",
)


def neutralise(value: str) -> str:
    """Prefix a would-be formula with ``'`` so spreadsheets show it as text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell(value: Any) -> str:
    """One CSV cell: ISO 8601 UTC times, plain numbers, yes/no, neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, Decimal | int):
        return str(value)
    return neutralise(str(value))


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The BOM and header, then one encoded chunk per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(value) for value in row])
        yield buffer.getvalue()


def record_export(viewer: User, cohort: Cohort, what: str) -> None:
    """Audit the export before streaming begins (exports are GETs)."""
    begin_write()
    audit.record("export", actor=viewer, detail=f"{what} cohort={cohort.id}")
    db.session.commit()
    # Stream under read transactions so a long export never holds the write lock.
    set_write_intent(False)


def _versions(cohort: Cohort) -> Iterator[tuple[int, dict[str, str]]]:
    """Per member with certificates, in the export's order: module -> the version
    the certificate was issued under (what a CE board needs)."""
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.module_id, Certificate.module_version)
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.user_id.in_(member_ids(cohort)))
        .order_by(*EXPORT_ORDER, User.id)
        .execution_options(yield_per=VERSION_ROWS)
    )
    user_id, versions = None, {}
    for uid, module_id, version in rows:
        if uid != user_id:
            if user_id is not None:
                yield user_id, versions
            user_id, versions = uid, {}
        versions[module_id] = version
    if user_id is not None:
        yield user_id, versions


def progress_rows(cohort: Cohort, catalog: Catalog) -> Iterator[tuple[Any, ...]]:
    """One row per trainee and module, trainees by email.

    Every query runs once and is read in step, a batch of rows at a time
    (:func:`progress_in_order`), so the query count is fixed and memory flat.
    """
    versions = _versions(cohort)
    pending = next(versions, None)
    members = progress_in_order(
        member_ids(cohort), catalog, EXPORT_ORDER, (User.email, User.name)
    )
    for (uid, email, name), progress in members:
        issued: dict[str, str] = {}
        if pending is not None and pending[0] == uid:
            issued = pending[1]
            pending = next(versions, None)
        for module in catalog.modules:
            p = progress[module.id]
            yield (
                email,
                name,
                module.id,
                issued.get(module.id, module.version),
                p.status,
                p.lessons_done,
                p.lessons_total,
                p.pretest_score,
                p.pretest_skipped,
                p.best_post_score,
                p.post_attempts,
                p.passed_at,
                p.ce_hours_earned,
                p.certificate_code,
                p.completed_at,
                p.first_activity,
                p.last_activity,
            )


def attempt_rows(cohort: Cohort) -> Iterator[tuple[Any, ...]]:
    """One row per item answered in each attempt (one row for an attempt with no
    answers, such as a skipped pre-test), in a single streamed query."""
    query = (
        select(
            User.email,
            User.name,
            QuizAttempt.module_id,
            QuizAttempt.module_version,
            QuizAttempt.content_hash,
            QuizAttempt.quiz_id,
            QuizAttempt.kind,
            QuizAttempt.number,
            QuizAttempt.started_at,
            QuizAttempt.submitted_at,
            QuizAttempt.skipped,
            QuizAttempt.score,
            QuizAttempt.passed,
            QuizResponse.position,
            QuizResponse.question_id,
            QuizResponse.answer,
            QuizResponse.correct,
        )
        .join(User, User.id == QuizAttempt.user_id)
        .join(
            CohortMember,
            (CohortMember.user_id == QuizAttempt.user_id)
            & (CohortMember.cohort_id == cohort.id),
        )
        .outerjoin(QuizResponse, QuizResponse.attempt_id == QuizAttempt.id)
        .order_by(
            User.email,
            QuizAttempt.module_id,
            QuizAttempt.kind.desc(),  # pre before post
            QuizAttempt.number,
            func.coalesce(QuizResponse.position, 0),
        )
        .execution_options(yield_per=ATTEMPT_BATCH)
    )
    for row in db.session.execute(query):
        *head, position, question_id, answer, correct = row
        yield (
            *head,
            None if position is None else position + 1,
            question_id,
            None if question_id is None else ";".join(str(k) for k in answer or ()),
            None if question_id is None else bool(correct),
        )
