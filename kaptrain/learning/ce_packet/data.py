"""Gather what a CE audit packet reports about one module, from the catalog and
the learner records (a fixed number of queries, whatever the roster's size)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from markupsafe import Markup
from sqlalchemy import select

from kaptrain.analytics.report import AnalysisReport, build_report
from kaptrain.content import Catalog, Module
from kaptrain.extensions import db
from kaptrain.learning.progress import progress_for
from kaptrain.learning.time_report import ItemTime, item_times, total_minutes
from kaptrain.models import Certificate, EvaluationResponse, User, utcnow


def plain(html: str) -> str:
    """Text of an HTML fragment, whitespace collapsed (for CSV cells and PDF)."""
    # Sanitised content HTML, only stripped to text here, never rendered.
    return " ".join(Markup(html).striptags().split())  # noqa: S704


@dataclass(frozen=True)
class RosterRow:
    """One trainee who completed the module."""

    user_id: int
    name: str
    email: str
    started: dt.datetime | None
    completed: dt.datetime
    best_post_score: float | None
    post_attempts: int
    ce_hours: Decimal
    certificate_code: str
    times: tuple[ItemTime, ...]

    @property
    def minutes_on_task(self) -> float | None:
        """Minutes on lessons and cases where first open and completion are known."""
        return total_minutes(self.times)

    @property
    def flagged(self) -> list[str]:
        """Titles of items completed far below their estimate."""
        return [t.title for t in self.times if t.flagged]


@dataclass(frozen=True)
class RatingSummary:
    """One evaluation statement: how many rated it and how."""

    id: str
    statement: str
    counts: tuple[int, int, int, int, int]  # ratings 1..5

    @property
    def responses(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        total = sum((n + 1) * c for n, c in enumerate(self.counts))
        return total / self.responses if self.responses else None


@dataclass
class PacketData:
    """Everything the packet's files are written from."""

    module: Module
    config: dict[str, Any]
    generated_at: dt.datetime
    roster: list[RosterRow] = field(default_factory=list)
    ratings: list[RatingSummary] = field(default_factory=list)
    evaluations: int = 0
    comments: int = 0
    analysis: AnalysisReport | None = None


def _roster(module: Module, catalog: Catalog) -> list[RosterRow]:
    certificates = db.session.execute(
        select(Certificate, User.email)
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.module_id == module.id)
        .order_by(Certificate.completed_at, Certificate.id)
    ).all()
    ids = [c.user_id for c, _ in certificates]
    progress = progress_for(ids, catalog) if ids else {}
    times = item_times(module, ids)
    rows = []
    for cert, email in certificates:
        state = progress.get((cert.user_id, module.id))
        rows.append(
            RosterRow(
                user_id=cert.user_id,
                name=cert.trainee_name,
                email=email,
                started=state.first_activity if state else None,
                completed=cert.completed_at,
                best_post_score=state.best_post_score if state else None,
                post_attempts=state.post_attempts if state else 0,
                ce_hours=cert.ce_hours,
                certificate_code=cert.code,
                times=tuple(times.get(cert.user_id, ())),
            )
        )
    return rows


def _evaluations(module: Module, data: PacketData) -> None:
    evaluation = module.evaluation
    counts: dict[str, list[int]] = {rid: [0] * 5 for rid, _ in evaluation.ratings}
    responses = db.session.execute(
        select(EvaluationResponse.ratings, EvaluationResponse.comments).where(
            EvaluationResponse.module_id == module.id
        )
    ).all()
    for ratings, comments in responses:
        data.evaluations += 1
        data.comments += sum(1 for text in (comments or {}).values() if text)
        for rid, value in (ratings or {}).items():
            if rid in counts and isinstance(value, int) and 1 <= value <= 5:
                counts[rid][value - 1] += 1
    data.ratings = [
        RatingSummary(rid, statement, tuple(counts[rid]))  # type: ignore[arg-type]
        for rid, statement in evaluation.ratings
    ]


def gather(module: Module, catalog: Catalog, config: dict[str, Any]) -> PacketData:
    """The packet's data for ``module`` as it stands now."""
    data = PacketData(module=module, config=dict(config), generated_at=utcnow())
    data.roster = _roster(module, catalog)
    _evaluations(module, data)
    data.analysis = build_report(module, users=None)
    return data
