"""The cohort overview: a few facts per (user, module), aggregated in SQL.

The dashboard sorts and filters a whole cohort on these, so one query returns a
row per trainee and module instead of every record. The query only gathers facts
(required items done, from the ids :func:`.rules.required_items` declares; best
graded post-test; latest moment; whether certified); the status is then decided
by the same rule as everywhere else, :func:`.rules.module_status`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    tuple_,
    union_all,
)

from kaptrain.content import Catalog
from kaptrain.extensions import db
from kaptrain.learning.progress.queries import _aware
from kaptrain.learning.progress.rules import (
    DONE,
    NOT_STARTED,
    module_status,
    required_ids,
)
from kaptrain.models import (
    Certificate,
    EvaluationResponse,
    ItemProgress,
    QuizAttempt,
    VignetteRun,
)


@dataclass(frozen=True)
class ProgressOverview:
    """What a cohort-wide list needs from :class:`ModuleProgress`, without the rest.

    Every field equals the same-named figure of :func:`progress_for`'s entry for
    the same user and module (tests/test_progress.py checks this):
    ``required_done`` is ``len(done_item_ids & required item ids)``.
    """

    status: str
    required_done: int
    best_post_score: float | None
    last_activity: dt.datetime | None


#: A user with no records on a module.
UNTOUCHED = ProgressOverview(NOT_STARTED, 0, None, None)

_TIME = VignetteRun.started_at.type


def _no(type_: Any) -> Any:
    return cast(null(), type_)


def _overview_statement(users: Any) -> Select[Any]:
    """One row per (user, module) with records: required items done, best graded
    post-test, latest moment, whether certified.

    The five record tables are read as in :func:`_statements` (the quiz and
    vignette groups alike, so "latest moment" takes the same group minimum of
    ``started_at``), put into one UNION ALL and grouped, so the database returns
    at most one row per trainee and module instead of every record.
    """
    modules = bindparam("module_ids", expanding=True)
    required = bindparam("required_items", expanding=True)  # (module, item) pairs
    quizzes = bindparam("quiz_ids", expanding=True)  # (module, current quiz) pairs

    def is_required(module: Any, item: Any) -> Any:
        return tuple_(module, item).in_(required)

    ip, er, ce = ItemProgress, EvaluationResponse, Certificate
    items = select(
        ip.user_id.label("user_id"),
        ip.module_id.label("module_id"),
        case(
            (and_(ip.status == DONE, is_required(ip.module_id, ip.item_id)), ip.item_id)
        ).label("done"),
        _no(Float).label("post"),
        ip.started_at.label("t1"),
        ip.completed_at.label("t2"),
        _no(_TIME).label("t3"),
        literal(0, Integer).label("certified"),
    ).where(ip.user_id.in_(users), ip.module_id.in_(modules))

    qa = QuizAttempt
    submitted = qa.submitted_at.is_not(None) & ~qa.skipped
    quiz_groups = (
        select(
            qa.user_id,
            qa.module_id,
            qa.quiz_id,
            qa.kind,
            func.max(case((submitted, qa.score))).label("best"),
            func.min(case((qa.passed.is_(True), qa.submitted_at))).label("passed_at"),
            func.min(qa.started_at).label("first"),
            func.max(qa.submitted_at).label("last"),
        )
        .where(qa.user_id.in_(users), qa.module_id.in_(modules))
        .group_by(qa.user_id, qa.module_id, qa.quiz_id, qa.kind)
        .subquery()
    )
    q = quiz_groups.c
    graded_post = and_(q.kind != "pre", tuple_(q.module_id, q.quiz_id).in_(quizzes))
    quiz_rows = select(
        q.user_id,
        q.module_id,
        case(
            (
                and_(
                    graded_post,
                    q.passed_at.is_not(None),
                    is_required(q.module_id, q.quiz_id),
                ),
                q.quiz_id,
            )
        ),
        case((graded_post, q.best)),
        q.first,
        q.last,
        _no(_TIME),
        literal(0, Integer),
    )

    vr = VignetteRun
    run_groups = (
        select(
            vr.user_id,
            vr.module_id,
            vr.vignette_id,
            func.max(vr.finished_at).label("finished"),
            func.min(vr.started_at).label("first"),
            func.max(vr.last_step_at).label("last_step"),
        )
        .where(vr.user_id.in_(users), vr.module_id.in_(modules))
        .group_by(vr.user_id, vr.module_id, vr.vignette_id)
        .subquery()
    )
    v = run_groups.c
    vignette_rows = select(
        v.user_id,
        v.module_id,
        case(
            (
                and_(v.finished.is_not(None), is_required(v.module_id, v.vignette_id)),
                v.vignette_id,
            )
        ),
        _no(Float),
        v.first,
        v.finished,
        v.last_step,
        literal(0, Integer),
    )

    evaluations = select(
        er.user_id,
        er.module_id,
        case((is_required(er.module_id, er.evaluation_id), er.evaluation_id)),
        _no(Float),
        er.submitted_at,
        _no(_TIME),
        _no(_TIME),
        literal(0, Integer),
    ).where(er.user_id.in_(users), er.module_id.in_(modules))

    certificates = select(
        ce.user_id,
        ce.module_id,
        _no(ItemProgress.item_id.type),
        _no(Float),
        ce.completed_at,
        _no(_TIME),
        _no(_TIME),
        literal(1, Integer),
    ).where(ce.user_id.in_(users), ce.module_id.in_(modules))

    records = union_all(
        items, quiz_rows, vignette_rows, evaluations, certificates
    ).subquery()
    r = records.c
    return select(
        r.user_id,
        r.module_id,
        func.count(r.done.distinct()),
        func.max(r.post),
        func.max(r.t1),
        func.max(r.t2),
        func.max(r.t3),
        func.max(r.certified),
    ).group_by(r.user_id, r.module_id)


#: Built once, not per request: building this statement costs the dashboard at
#: 1,000 trainees about 5 ms of CPU, 8% (bench/analysis.md, "Issue 14:
#: cleverness earns its place").
_OVERVIEW_BY_ID_LIST = _overview_statement(bindparam("user_ids", expanding=True))


def progress_overview(
    users: Select[Any] | Sequence[int], catalog: Catalog
) -> dict[tuple[int, str], ProgressOverview]:
    """Status, required items done, best post-test and last activity of many users
    on every catalog module, in one query that returns a row per (user, module)
    with records (none per record). Keyed like :func:`progress_for`, but a user
    without records on a module has no entry: read it as :data:`UNTOUCHED`.

    ``users`` is a SELECT of user ids (used as an IN-subquery) or a list of ids.
    """
    modules = catalog.modules
    if not modules:
        return {}
    params: dict[str, Any] = {
        "module_ids": [m.id for m in modules],
        "required_items": [(m.id, i) for m in modules for i in required_ids(m)],
        "quiz_ids": [(m.id, m.quiz.id) for m in modules],
    }
    if isinstance(users, Select):
        statement = _overview_statement(users)
    else:
        params["user_ids"] = list(dict.fromkeys(int(u) for u in users))
        if not params["user_ids"]:
            return {}
        statement = _OVERVIEW_BY_ID_LIST
    result = {}
    rows = db.session.connection().execute(statement, params)
    for user_id, module_id, done, post, *moments, certified in rows:
        latest = [_aware(m) for m in moments if m is not None]
        result[(user_id, module_id)] = ProgressOverview(
            # A row exists only for a (user, module) with records: touched.
            status=module_status(certified=bool(certified), touched=True),
            required_done=int(done),
            best_post_score=None if post is None else float(post),
            last_activity=max(latest, default=None),
        )
    return result
