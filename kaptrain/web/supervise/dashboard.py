"""The cohort dashboard and knowledge gain: trainees x modules, in fixed queries.

Queries: the members, one progress overview of the whole cohort (a row per
trainee and module, aggregated in SQL: enough to sort, filter and summarise),
one for the first pre- and post-test scores, and the progress service's fixed
set for the trainees on the requested page only; the same count for five
trainees or five thousand, and only one page of rows is built and rendered.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import func, select

from kaptrain.analytics import GainSummary, knowledge_gain
from kaptrain.analytics.queries import first_scores
from kaptrain.content import Catalog, Module
from kaptrain.extensions import db
from kaptrain.learning.progress import (
    COMPLETED,
    MODULE_STATUSES,
    UNTOUCHED,
    ModuleProgress,
    ProgressOverview,
    progress_for,
    progress_overview,
    required_count,
)
from kaptrain.models import Cohort, CohortMember, User
from kaptrain.web.supervise.cohorts import member_ids

SORTS = {"name": "Name", "progress": "Progress", "activity": "Last activity"}
#: Trainees per page of the dashboard's table.
PAGE_SIZE = 50


@dataclass(frozen=True)
class TraineeRow:
    user_id: int
    name: str
    email: str
    cells: tuple[ModuleProgress, ...]  # in catalog order
    done: int
    required: int
    last_activity: dt.datetime | None

    @property
    def completed(self) -> int:
        return sum(1 for cell in self.cells if cell.status == COMPLETED)

    @property
    def fraction(self) -> float:
        return self.done / self.required if self.required else 0.0


@dataclass(frozen=True)
class _Standing:
    """A trainee's place in the cohort: what sorting and filtering need, from the
    overview (no per-record objects), for every member."""

    user_id: int
    name: str
    email: str
    statuses: tuple[str, ...]  # in catalog order
    completed: int
    done: int
    last_activity: dt.datetime | None


@dataclass(frozen=True)
class ModuleSummary:
    module: Module
    trainees: int
    completed: int
    mean_post: float | None
    post_takers: int
    gain: GainSummary

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.trainees if self.trainees else None


@dataclass(frozen=True)
class Dashboard:
    modules: tuple[Module, ...]
    rows: tuple[TraineeRow, ...]  # this page of the sorted, filtered trainees
    total: int  # members before filtering
    matched: int  # members after filtering
    summaries: tuple[ModuleSummary, ...]
    page: int  # 1-based; 1 when nothing matched
    pages: int  # at least 1
    first: int  # 1-based position of the page's first row among ``matched``

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def _members(cohort: Cohort) -> list[tuple[int, str, str]]:
    return [
        (uid, name, email)
        for uid, name, email in db.session.execute(
            select(User.id, User.name, User.email)
            .join(CohortMember, CohortMember.user_id == User.id)
            .where(CohortMember.cohort_id == cohort.id)
            .order_by(func.lower(User.name), User.id)
        )
    ]


def _standings(
    members: list[tuple[int, str, str]],
    catalog: Catalog,
    overview: dict[tuple[int, str], ProgressOverview],
) -> list[_Standing]:
    module_ids = [m.id for m in catalog.modules]
    standings = []
    for uid, name, email in members:
        figures = [overview.get((uid, mid), UNTOUCHED) for mid in module_ids]
        statuses = tuple(f.status for f in figures)
        moments = [f.last_activity for f in figures if f.last_activity is not None]
        standings.append(
            _Standing(
                user_id=uid,
                name=name,
                email=email,
                statuses=statuses,
                completed=statuses.count(COMPLETED),
                done=sum(f.required_done for f in figures),
                last_activity=max(moments, default=None),
            )
        )
    return standings


def _sort(rows: list[_Standing], sort: str, required: int) -> list[_Standing]:
    if sort == "progress":

        def key(r: _Standing) -> tuple[int, float, str]:
            fraction = r.done / required if required else 0.0
            return (-r.completed, -fraction, r.name.lower())

        return sorted(rows, key=key)
    if sort == "activity":
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(
            rows, key=lambda r: (r.last_activity or epoch, r.name.lower()), reverse=True
        )
    return rows  # already by name


def _filter(
    rows: list[_Standing], catalog: Catalog, status: str, module_id: str
) -> list[_Standing]:
    if status not in MODULE_STATUSES:
        return rows
    index = next((n for n, m in enumerate(catalog.modules) if m.id == module_id), None)
    if index is not None:
        return [row for row in rows if row.statuses[index] == status]
    return [row for row in rows if status in row.statuses]


def _summaries(
    catalog: Catalog,
    rows: list[_Standing],
    overview: dict[tuple[int, str], ProgressOverview],
    cohort: Cohort,
) -> tuple[ModuleSummary, ...]:
    scores = first_scores([m.id for m in catalog.modules], member_ids(cohort))
    order = [row.user_id for row in rows]
    summaries = []
    for index, module in enumerate(catalog.modules):
        posts = [
            score
            for uid in order
            if (score := overview.get((uid, module.id), UNTOUCHED).best_post_score)
            is not None
        ]
        pre, post = scores[module.id]
        summaries.append(
            ModuleSummary(
                module=module,
                trainees=len(rows),
                completed=sum(1 for row in rows if row.statuses[index] == COMPLETED),
                mean_post=sum(posts) / len(posts) if posts else None,
                post_takers=len(posts),
                gain=knowledge_gain(pre, post, order),
            )
        )
    return tuple(summaries)


def page_count(matched: int) -> int:
    """Pages of the trainee table for ``matched`` trainees (at least one)."""
    return max(1, math.ceil(matched / PAGE_SIZE))


def cohort_dashboard(
    cohort: Cohort,
    catalog: Catalog,
    *,
    sort: str = "name",
    status: str = "",
    module_id: str = "",
    page: int = 1,
) -> Dashboard:
    """One page of the cohort's trainees by modules, plus a per-module summary.

    ``status`` keeps trainees with that status on ``module_id`` (or on any module
    when ``module_id`` is empty). Sorting and filtering cover the whole cohort
    before the page is cut; ``page`` is brought into 1..pages. The summary always
    covers the whole cohort. Only the page's trainees get full progress records.
    """
    members = _members(cohort)
    overview = progress_overview(member_ids(cohort), catalog)
    standings = _standings(members, catalog, overview)
    summaries = _summaries(catalog, standings, overview, cohort)
    required = required_count(catalog)
    shown = _sort(_filter(standings, catalog, status, module_id), sort, required)
    pages = page_count(len(shown))
    page = min(max(page, 1), pages)
    start = (page - 1) * PAGE_SIZE
    window = shown[start : start + PAGE_SIZE]
    progress = progress_for([row.user_id for row in window], catalog)
    rows = tuple(
        TraineeRow(
            user_id=row.user_id,
            name=row.name,
            email=row.email,
            cells=tuple(progress[(row.user_id, m.id)] for m in catalog.modules),
            done=row.done,
            required=required,
            last_activity=row.last_activity,
        )
        for row in window
    )
    return Dashboard(
        modules=catalog.modules,
        rows=rows,
        total=len(standings),
        matched=len(shown),
        summaries=summaries,
        page=page,
        pages=pages,
        first=start + 1,
    )


@dataclass(frozen=True)
class GainRow:
    module: Module
    summary: GainSummary
    names: dict[int, tuple[str, str]]  # user id -> (name, email)
    eligible: int  # members of the cohort


def cohort_gain(cohort: Cohort, catalog: Catalog) -> list[GainRow]:
    """Paired first pre/post scores per module for the cohort (two queries)."""
    members = _members(cohort)
    names = {uid: (name, email) for uid, name, email in members}
    order = [uid for uid, _, _ in members]
    scores = first_scores([m.id for m in catalog.modules], member_ids(cohort))
    return [
        GainRow(module, knowledge_gain(*scores[module.id], order), names, len(order))
        for module in catalog.modules
    ]
