"""Where trainees stand on each module, computed from the learner records.

Shared by the trainee's dashboard (learn/) and the supervisor's cohort views
(supervise/), so it sits below both. No Flask request use: callers pass the users
and the catalog. :func:`progress_for` reads many users at once in a fixed number
of queries (one per record table plus one for the user ids), so a cohort page
costs the same whether it lists five trainees or five hundred.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    any_,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import CollectionAggregate

from kaptrain.content import Catalog, Module
from kaptrain.extensions import db
from kaptrain.learning.progress.rules import (
    DONE,
    ModuleProgress,
    module_status,
    required_ids,
)
from kaptrain.models import (
    Certificate,
    EvaluationResponse,
    ItemProgress,
    QuizAttempt,
    User,
    VignetteRun,
)


class _Acc:
    """Mutable per-(user, module) accumulator while reading records."""

    __slots__ = (
        "best_post",
        "cert_code",
        "cert_hours",
        "completed_at",
        "done",
        "evaluation",
        "first",
        "last",
        "passed_at",
        "post_attempts",
        "pre_score",
        "pre_skipped",
        "started",
        "touched",
    )

    def __init__(self) -> None:
        self.done: set[str] = set()
        self.started: set[str] = set()
        self.pre_score: float | None = None
        self.pre_skipped = False
        self.best_post: float | None = None
        self.post_attempts = 0
        self.passed_at: dt.datetime | None = None
        self.evaluation = False
        self.cert_code: str | None = None
        self.cert_hours: Decimal | None = None
        self.completed_at: dt.datetime | None = None
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None
        self.touched = False

    def seen(self, *moments: dt.datetime | None) -> None:
        self.touched = True
        for moment in moments:
            if moment is None:
                continue
            moment = _aware(moment)
            if self.first is None or moment < self.first:
                self.first = moment
            if self.last is None or moment > self.last:
                self.last = moment


def _aware(value: Any) -> dt.datetime:
    # Aggregates (min/max) bypass the UTCDateTime type on SQLite and may come back
    # naive or even as strings; normalise so comparisons never mix kinds.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is dt.UTC:
        return value  # the common case (UTCDateTime columns): nothing to convert
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _opt(value: Any) -> dt.datetime | None:
    return None if value is None else _aware(value)


def _user_ids(users: Select[Any] | Sequence[int]) -> tuple[list[int], Any]:
    """The user ids in order, and the filter operand for record queries."""
    if isinstance(users, Select):
        ids = list(dict.fromkeys(db.session.execute(users).scalars()))
        return ids, users
    ids = list(dict.fromkeys(int(u) for u in users))
    return ids, ids


@dataclass(frozen=True)
class _Shape:
    """What progress needs from a module, looked up once per call rather than
    once per record or per trainee (``Module.lessons`` and ``Module.item`` scan
    the items each time; on a 1,000-trainee dashboard that was a third of the
    time)."""

    item_ids: frozenset[str]
    quiz_id: str
    lessons: tuple[str, ...]
    vignettes: tuple[str, ...]

    @classmethod
    def of(cls, module: Module) -> _Shape:
        return cls(
            item_ids=frozenset(i.id for i in module.items),
            quiz_id=module.quiz.id,
            lessons=required_ids(module, "lesson"),
            vignettes=required_ids(module, "vignette"),
        )


@dataclass(frozen=True)
class _Statements:
    """The five record queries, built for one kind of user filter."""

    items: Select[Any]
    quizzes: Select[Any]
    vignettes: Select[Any]
    evaluations: Select[Any]
    certificates: Select[Any]


def _user_in(column: Any, users: Any) -> Any:
    """``column IN users``, or ``column = ANY(array)`` when ``users`` is one."""
    if isinstance(users, CollectionAggregate):
        return column == users
    return column.in_(users)


def _statements(users: Any, modules: Any) -> _Statements:
    """The record queries for users IN ``users`` and modules IN ``modules``."""
    submitted = QuizAttempt.submitted_at.is_not(None) & ~QuizAttempt.skipped
    return _Statements(
        items=select(
            ItemProgress.user_id,
            ItemProgress.module_id,
            ItemProgress.item_id,
            ItemProgress.status,
            ItemProgress.started_at,
            ItemProgress.completed_at,
        ).where(
            _user_in(ItemProgress.user_id, users),
            ItemProgress.module_id.in_(modules),
        ),
        quizzes=select(
            QuizAttempt.user_id,
            QuizAttempt.module_id,
            QuizAttempt.quiz_id,
            QuizAttempt.kind,
            func.count(),
            func.count(case((submitted, 1))),
            func.max(case((submitted, QuizAttempt.score))),
            func.min(case((QuizAttempt.passed.is_(True), QuizAttempt.submitted_at))),
            func.max(case((QuizAttempt.skipped.is_(True), 1), else_=0)),
            func.min(QuizAttempt.started_at),
            func.max(QuizAttempt.submitted_at),
        )
        .where(
            _user_in(QuizAttempt.user_id, users),
            QuizAttempt.module_id.in_(modules),
        )
        .group_by(
            QuizAttempt.user_id,
            QuizAttempt.module_id,
            QuizAttempt.quiz_id,
            QuizAttempt.kind,
        ),
        vignettes=select(
            VignetteRun.user_id,
            VignetteRun.module_id,
            VignetteRun.vignette_id,
            func.count(VignetteRun.finished_at.distinct()),
            func.min(VignetteRun.started_at),
            func.max(VignetteRun.finished_at),
            func.max(VignetteRun.last_step_at),
        )
        .where(
            _user_in(VignetteRun.user_id, users),
            VignetteRun.module_id.in_(modules),
        )
        .group_by(VignetteRun.user_id, VignetteRun.module_id, VignetteRun.vignette_id),
        evaluations=select(
            EvaluationResponse.user_id,
            EvaluationResponse.module_id,
            EvaluationResponse.evaluation_id,
            EvaluationResponse.submitted_at,
        ).where(
            _user_in(EvaluationResponse.user_id, users),
            EvaluationResponse.module_id.in_(modules),
        ),
        certificates=select(
            Certificate.user_id,
            Certificate.module_id,
            Certificate.code,
            Certificate.ce_hours,
            Certificate.completed_at,
        ).where(
            _user_in(Certificate.user_id, users),
            Certificate.module_id.in_(modules),
        ),
    )


def _by_ids(dialect: str) -> _Statements:
    """The record queries for a list of user ids, bound as an expanding list; on
    PostgreSQL as one array (``= ANY(...)``): an expanding list of a thousand
    ids made a thousand placeholders, a statement text psycopg parsed again on
    every call (a fifth of a progress CSV's time)."""
    if dialect == "postgresql":
        users = any_(bindparam("user_ids", type_=postgresql.ARRAY(Integer)))
    else:
        users = bindparam("user_ids", expanding=True)
    return _statements(users, bindparam("module_ids", expanding=True))


def _item_row(acc: _Acc, shape: _Shape, row: Sequence[Any]) -> None:
    _user_id, _module_id, item_id, status, started, completed = row
    acc.seen(started, completed)
    if item_id in shape.item_ids:
        (acc.done if status == DONE else acc.started).add(item_id)


def _quiz_row(acc: _Acc, shape: _Shape, row: Sequence[Any]) -> None:
    _user_id, _module_id, quiz_id, kind, started, count, best, *rest = row
    passed_at, skipped, *span = rest
    acc.seen(*span)
    if quiz_id != shape.quiz_id:
        return  # a quiz since renamed: its scores no longer describe this one
    if kind == "pre":
        acc.pre_score = None if best is None else float(best)
        acc.pre_skipped = bool(skipped)
    else:
        acc.post_attempts = int(count)
        if started:
            acc.started.add(quiz_id)
        acc.best_post = None if best is None else float(best)
        acc.passed_at = _opt(passed_at)
        if acc.passed_at is not None:
            acc.done.add(quiz_id)


def _vignette_row(acc: _Acc, shape: _Shape, row: Sequence[Any]) -> None:
    _user_id, _module_id, vignette_id, finished, *span = row
    acc.seen(*span)
    if vignette_id in shape.item_ids:
        (acc.done if finished else acc.started).add(vignette_id)


def _evaluation_row(acc: _Acc, shape: _Shape, row: Sequence[Any]) -> None:
    _user_id, _module_id, evaluation_id, submitted_at = row
    acc.seen(submitted_at)
    acc.evaluation = True
    if evaluation_id in shape.item_ids:
        acc.done.add(evaluation_id)


def _certificate_row(acc: _Acc, shape: _Shape, row: Sequence[Any]) -> None:
    _user_id, _module_id, code, hours, completed_at = row
    acc.seen(completed_at)
    acc.cert_code = code
    acc.cert_hours = Decimal(hours)
    acc.completed_at = _opt(completed_at)


#: Each record query with what reads its rows (first two columns: user, module).
_READERS = (
    ("items", _item_row),
    ("quizzes", _quiz_row),
    ("vignettes", _vignette_row),
    ("evaluations", _evaluation_row),
    ("certificates", _certificate_row),
)


def _collect(
    user_filter: Any, modules: Sequence[Module]
) -> dict[tuple[int, str], _Acc]:
    by_id = {m.id: _Shape.of(m) for m in modules}
    module_ids = list(by_id)
    accs: dict[tuple[int, str], _Acc] = defaultdict(_Acc)
    params: dict[str, Any] = {"module_ids": module_ids}
    if isinstance(user_filter, Select):
        statements = _statements(user_filter, bindparam("module_ids", expanding=True))
    else:
        params["user_ids"] = list(user_filter)
        statements = _by_ids(db.session.connection().dialect.name)
    # Core execution: these are plain column rows, and the ORM's result
    # machinery was a large share of a page's time.
    connection = db.session.connection()
    for name, read in _READERS:
        for row in connection.execute(getattr(statements, name), params):
            read(accs[(row[0], row[1])], by_id[row[1]], row)
    return accs


def _items(ids: set[str]) -> frozenset[str]:
    return frozenset(ids)


def _build(
    user_id: int, module: Module, shape: _Shape, acc: _Acc | None
) -> ModuleProgress:
    acc = acc or _Acc()
    lessons, vignettes = shape.lessons, shape.vignettes
    return ModuleProgress(
        user_id=user_id,
        module_id=module.id,
        status=module_status(certified=acc.cert_code is not None, touched=acc.touched),
        lessons_done=sum(1 for i in lessons if i in acc.done),
        lessons_total=len(lessons),
        vignettes_done=sum(1 for i in vignettes if i in acc.done),
        vignettes_total=len(vignettes),
        done_item_ids=_items(acc.done),
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
        started_item_ids=_items(acc.started - acc.done),
    )


def _progress(
    users: Select[Any] | Sequence[int], modules: Sequence[Module]
) -> dict[tuple[int, str], ModuleProgress]:
    ids, user_filter = _user_ids(users)
    if not ids or not modules:
        return {}
    accs = _collect(user_filter, modules)
    shapes = [(module, _Shape.of(module)) for module in modules]
    return {
        (user_id, module.id): _build(
            user_id, module, shape, accs.get((user_id, module.id))
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
#: then stays flat as cohorts grow).
STREAM_ROWS = {
    "members": 250,
    "items": 1000,
    "quizzes": 400,
    "vignettes": 400,
    "evaluations": 100,
    "certificates": 100,
}


def progress_in_order(
    users: Select[Any],
    catalog: Catalog,
    order_by: Sequence[Any],
    columns: Sequence[Any] = (),
) -> Iterator[tuple[tuple[Any, ...], dict[str, ModuleProgress]]]:
    """Each user of ``users`` in ``order_by`` order (columns of ``User``, then the
    id), as ``((id, *columns), {module_id: progress})``; progress as
    :func:`progress_for` gives it.

    For exports of any size: the members and the five record queries are read
    once each, all in the same order and a batch of rows at a time, and merged
    user by user, so the query count is fixed and memory holds one user's
    progress and a batch of rows per query, however many users there are.
    """
    modules = catalog.modules
    shapes = {m.id: _Shape.of(m) for m in modules}
    params = {"module_ids": list(shapes)}
    statements = _statements(users, bindparam("module_ids", expanding=True))
    connection = db.session.connection()
    # Each user's place in the order, so the record queries sort on one integer
    # rather than on text (collated comparisons of e-mail addresses made PostgreSQL
    # spill the sort of a 5,000-trainee cohort's items to disk).
    ranked = (
        select(
            User.id.label("user_id"),
            func.row_number().over(order_by=(*order_by, User.id)).label("position"),
        )
        .where(User.id.in_(users))
        .subquery()
    )
    position = ranked.c.position

    def ordered(name: str) -> Iterator[Any]:
        statement = getattr(statements, name)
        user_id = statement.selected_columns[0]
        statement = statement.join(ranked, ranked.c.user_id == user_id).order_by(
            position
        )
        if name in ("quizzes", "vignettes"):
            statement = statement.group_by(position)
        rows = STREAM_ROWS[name]
        return iter(
            connection.execute(statement.execution_options(yield_per=rows), params)
        )

    members = connection.execute(
        select(User.id, *columns)
        .join(ranked, ranked.c.user_id == User.id)
        .order_by(position)
        .execution_options(yield_per=STREAM_ROWS["members"])
    )
    streams = [(ordered(name), read) for name, read in _READERS]
    heads = [next(stream, None) for stream, _ in streams]
    for member in members:
        user_id = member[0]
        accs: dict[str, _Acc] = {}
        for n, (stream, read) in enumerate(streams):
            row = heads[n]
            while row is not None and row[0] == user_id:
                module_id = row[1]
                acc = accs.get(module_id)
                if acc is None:
                    acc = accs[module_id] = _Acc()
                read(acc, shapes[module_id], row)
                row = next(stream, None)
            heads[n] = row
        yield (
            tuple(member),
            {m.id: _build(user_id, m, shapes[m.id], accs.get(m.id)) for m in modules},
        )
    if any(row is not None for row in heads):
        # Both sides sort by the same columns, so this is a bug, never data.
        raise RuntimeError("progress records out of step with the users' order")
