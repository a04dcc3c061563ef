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

from sqlalchemy import Select, bindparam, func, select, union_all

from kaptrain.content import Catalog
from kaptrain.extensions import db
from kaptrain.learning.progress.facts import Users, aware
from kaptrain.learning.progress.rules import NOT_STARTED, module_status, required_ids
from kaptrain.learning.progress.sources import SOURCES, OverviewParts


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


def _overview_statement(users: Any) -> Select[Any]:
    """One row per (user, module) with records: required items done, best graded
    post-test, latest moment, whether certified.

    Every record source of :mod:`.sources` (item rows, each kind's records,
    certificates) gives its branch, read as for :func:`.queries.statements` (the
    quiz and vignette groups alike, so "latest moment" takes the same group
    minimum of ``started_at``); the branches are put into one UNION ALL and
    grouped, so the database returns at most one row per trainee and module
    instead of every record.
    """
    parts = OverviewParts(
        users=Users(users),
        modules=bindparam("module_ids", expanding=True),
        required=bindparam("required_items", expanding=True),  # (module, item)
        quizzes=bindparam("quiz_ids", expanding=True),  # (module, current quiz)
    )
    records = union_all(*(source.overview(parts) for source in SOURCES)).subquery()
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
        latest = [aware(m) for m in moments if m is not None]
        result[(user_id, module_id)] = ProgressOverview(
            # A row exists only for a (user, module) with records: touched.
            status=module_status(certified=bool(certified), touched=True),
            required_done=int(done),
            best_post_score=None if post is None else float(post),
            last_activity=max(latest, default=None),
        )
    return result
