"""Where trainees stand on each module, computed from the learner records.

Shared by the trainee's dashboard (learn/) and the supervisor's cohort views
(supervise/), so it sits below both. No Flask request use: callers pass the users
and the catalog. :func:`progress_for` reads many users at once in a fixed number
of queries (one per record source of :mod:`.sources` plus one for the user ids),
so a cohort page costs the same whether it lists five trainees or five hundred.
The queries only gather facts (:class:`.facts.Facts`); :func:`build` turns them
into a :class:`ModuleProgress` with the status decided by :mod:`.rules`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Select, any_, bindparam
from sqlalchemy.dialects import postgresql

from kaptrain.content import Catalog, Module
from kaptrain.extensions import db
from kaptrain.learning.progress.facts import Facts, Shape, Users
from kaptrain.learning.progress.rules import ModuleProgress, module_status
from kaptrain.learning.progress.sources import SOURCES
from kaptrain.learning.progress.stream import stream_in_order


def _user_ids(users: Select[Any] | Sequence[int]) -> tuple[list[int], Any]:
    """The user ids in order, and the filter operand for record queries."""
    if isinstance(users, Select):
        ids = list(dict.fromkeys(db.session.execute(users).scalars()))
        return ids, users
    ids = list(dict.fromkeys(int(u) for u in users))
    return ids, ids


def statements(users: Any, modules: Any) -> dict[str, Select[Any]]:
    """Every source's record query for users IN ``users`` and modules IN
    ``modules``, by source name, in reading order."""
    filter_ = Users(users)
    return {source.name: source.statement(filter_, modules) for source in SOURCES}


def _by_ids(dialect: str) -> dict[str, Select[Any]]:
    """The record queries for a list of user ids. On PostgreSQL the ids bind as
    one array (``= ANY(...)``): an expanding list of a thousand ids made a
    thousand placeholders, a statement text psycopg parsed again on every call
    (a fifth of a progress CSV's time). Built per call: keeping them as module
    globals saved nothing measurable (bench/analysis.md)."""
    if dialect == "postgresql":
        users: Any = any_(bindparam("user_ids", type_=postgresql.ARRAY(Integer)))
    else:
        users = bindparam("user_ids", expanding=True)
    return statements(users, bindparam("module_ids", expanding=True))


def _collect(
    user_filter: Any, modules: Sequence[Module]
) -> dict[tuple[int, str], Facts]:
    by_id = {m.id: Shape.of(m) for m in modules}
    facts: dict[tuple[int, str], Facts] = defaultdict(Facts)
    params: dict[str, Any] = {"module_ids": list(by_id)}
    if isinstance(user_filter, Select):
        chosen = statements(user_filter, bindparam("module_ids", expanding=True))
    else:
        params["user_ids"] = list(user_filter)
        chosen = _by_ids(db.session.connection().dialect.name)
    # Core execution: these are plain column rows, and the ORM's result
    # machinery was a large share of a page's time.
    connection = db.session.connection()
    for source in SOURCES:
        for row in connection.execute(chosen[source.name], params):
            source.read(facts[(row[0], row[1])], by_id[row[1]], row)
    return facts


def build(
    user_id: int, module: Module, shape: Shape, facts: Facts | None
) -> ModuleProgress:
    """One trainee's :class:`ModuleProgress` on ``module`` from the facts read
    (None: no records), the status decided by :func:`.rules.module_status`."""
    acc = facts or Facts()
    lessons, vignettes = shape.lessons, shape.vignettes
    return ModuleProgress(
        user_id=user_id,
        module_id=module.id,
        status=module_status(certified=acc.cert_code is not None, touched=acc.touched),
        lessons_done=sum(1 for i in lessons if i in acc.done),
        lessons_total=len(lessons),
        vignettes_done=sum(1 for i in vignettes if i in acc.done),
        vignettes_total=len(vignettes),
        done_item_ids=frozenset(acc.done),
        pretest_score=acc.pre_score,
        pretest_skipped=acc.pre_skipped,
        best_post_score=acc.best_post,
        post_attempts=acc.post_attempts,
        passed=acc.passed_at is not None,
        passed_at=acc.passed_at,
        evaluation_done=acc.evaluation,
        certificate_code=acc.cert_code,
        completed_at=acc.completed_at,
        ce_hours_earned=acc.cert_hours if acc.cert_hours is not None else Decimal(0),
        last_activity=acc.last,
        first_activity=acc.first,
        started_item_ids=frozenset(acc.started - acc.done),
    )


def _progress(
    users: Select[Any] | Sequence[int], modules: Sequence[Module]
) -> dict[tuple[int, str], ModuleProgress]:
    ids, user_filter = _user_ids(users)
    if not ids or not modules:
        return {}
    facts = _collect(user_filter, modules)
    shapes = [(module, Shape.of(module)) for module in modules]
    return {
        (user_id, module.id): build(
            user_id, module, shape, facts.get((user_id, module.id))
        )
        for user_id in ids
        for module, shape in shapes
    }


def progress_for(
    users: Select[Any] | Sequence[int], catalog: Catalog
) -> dict[tuple[int, str], ModuleProgress]:
    """Progress of many users on every catalog module, keyed by (user_id, module_id).

    ``users`` is a SELECT of user ids (used as an IN-subquery) or a list of ids.
    The number of queries is fixed, whatever the number of users. Records of
    modules not in the catalog are ignored; users without records get a
    ``not_started`` entry for each module.
    """
    return _progress(users, catalog.modules)


def module_progress(user_id: int, module: Module) -> ModuleProgress:
    """One user's progress on one module."""
    return _progress([user_id], [module])[(user_id, module.id)]


#: Rows fetched per round trip by :func:`progress_in_order`, per query: a trainee
#: has about a dozen item rows, a few quiz and vignette groups and at most one
#: evaluation and one certificate per module, so each buffer holds the rows of a
#: hundred or so trainees and all are full from a few hundred trainees on (memory
#: then stays flat as cohorts grow). Each source declares its own batch.
STREAM_ROWS = {"members": 250, **{s.name: s.stream_rows for s in SOURCES}}


def progress_in_order(
    users: Select[Any],
    catalog: Catalog,
    order_by: Sequence[Any],
    columns: Sequence[Any] = (),
) -> Iterator[tuple[tuple[Any, ...], dict[str, ModuleProgress]]]:
    """Each user of ``users`` in ``order_by`` order (columns of ``User``, then the
    id), as ``((id, *columns), {module_id: progress})``; progress as
    :func:`progress_for` gives it.

    For exports of any size: the members and every source's record query are
    read once each, all in the same order and a batch of rows at a time, and
    merged user by user (:mod:`.stream`), so the query count is fixed and memory
    holds one user's progress and a batch of rows per query, however many users
    there are.
    """
    modules = catalog.modules
    shapes = {m.id: Shape.of(m) for m in modules}
    chosen = statements(users, bindparam("module_ids", expanding=True))
    merged = stream_in_order(users, shapes, chosen, order_by, columns, STREAM_ROWS)
    for member, facts in merged:
        user_id = member[0]
        yield (
            member,
            {m.id: build(user_id, m, shapes[m.id], facts.get(m.id)) for m in modules},
        )
