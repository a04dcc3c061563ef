"""The cohort dashboard and knowledge gain: trainees x modules, in fixed queries.

Queries: the members, the progress service's fixed set, and one for the first
pre- and post-test scores; the same count for five trainees or five thousand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from ..analytics import GainSummary, knowledge_gain
from ..analytics.queries import first_scores
from ..content import Catalog, Module
from ..extensions import db
from ..models import Cohort, CohortMember, User
from ..progress import COMPLETED, IN_PROGRESS, NOT_STARTED, ModuleProgress, progress_for
from .cohorts import member_ids

STATUSES = {
    NOT_STARTED: "Not started",
    IN_PROGRESS: "In progress",
    COMPLETED: "Completed",
}
SORTS = {"name": "Name", "progress": "Progress", "activity": "Last activity"}


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
    rows: tuple[TraineeRow, ...]  # sorted and filtered
    total: int  # members before filtering
    summaries: tuple[ModuleSummary, ...]


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


def _row(
    member: tuple[int, str, str],
    catalog: Catalog,
    progress: dict[tuple[int, str], ModuleProgress],
) -> TraineeRow:
    uid, name, email = member
    cells = tuple(progress[(uid, m.id)] for m in catalog.modules)
    done = required = 0
    for module, cell in zip(catalog.modules, cells, strict=True):
        ids = {item.id for item in module.required_items}
        required += len(ids)
        done += len(ids & cell.done_item_ids)
    moments = [c.last_activity for c in cells if c.last_activity is not None]
    return TraineeRow(
        uid, name, email, cells, done, required, max(moments, default=None)
    )


def _sort(rows: list[TraineeRow], sort: str) -> list[TraineeRow]:
    if sort == "progress":
        return sorted(rows, key=lambda r: (-r.completed, -r.fraction, r.name.lower()))
    if sort == "activity":
        epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
        return sorted(
            rows, key=lambda r: (r.last_activity or epoch, r.name.lower()), reverse=True
        )
    return rows  # already by name


def _summaries(
    catalog: Catalog, rows: list[TraineeRow], cohort: Cohort
) -> tuple[ModuleSummary, ...]:
    scores = first_scores([m.id for m in catalog.modules], member_ids(cohort))
    summaries = []
    for index, module in enumerate(catalog.modules):
        cells = [row.cells[index] for row in rows]
        posts = [c.best_post_score for c in cells if c.best_post_score is not None]
        pre, post = scores[module.id]
        summaries.append(
            ModuleSummary(
                module=module,
                trainees=len(cells),
                completed=sum(1 for c in cells if c.status == COMPLETED),
                mean_post=sum(posts) / len(posts) if posts else None,
                post_takers=len(posts),
                gain=knowledge_gain(pre, post, [row.user_id for row in rows]),
            )
        )
    return tuple(summaries)


def cohort_dashboard(
    cohort: Cohort,
    catalog: Catalog,
    *,
    sort: str = "name",
    status: str = "",
    module_id: str = "",
) -> Dashboard:
    """Rows of the cohort's trainees by modules, plus a per-module summary.

    ``status`` keeps trainees with that status on ``module_id`` (or on any module
    when ``module_id`` is empty). The summary always covers the whole cohort.
    """
    members = _members(cohort)
    progress = progress_for([uid for uid, _, _ in members], catalog)
    rows = [_row(member, catalog, progress) for member in members]
    summaries = _summaries(catalog, rows, cohort)
    shown = rows
    if status in STATUSES:
        index = next(
            (n for n, m in enumerate(catalog.modules) if m.id == module_id), None
        )
        shown = [
            row
            for row in rows
            if (
                row.cells[index].status == status
                if index is not None
                else any(cell.status == status for cell in row.cells)
            )
        ]
    return Dashboard(
        modules=catalog.modules,
        rows=tuple(_sort(shown, sort)),
        total=len(rows),
        summaries=summaries,
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
