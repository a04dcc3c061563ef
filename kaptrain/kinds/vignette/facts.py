"""How vignette runs become progress facts.

Runs are read grouped per (user, module, vignette): whether any run finished and
the span of activity. A case is done once a run is finished, begun while its
only runs are unfinished.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, func, select

from kaptrain.kinds.base import FactSource
from kaptrain.models import VignetteRun


def statement(users: Any, modules: Any) -> Select[Any]:
    """One row per (user, module, vignette) of runs."""
    vr = VignetteRun
    return (
        select(
            vr.user_id,
            vr.module_id,
            vr.vignette_id,
            func.count(vr.finished_at.distinct()),
            func.min(vr.started_at),
            func.max(vr.finished_at),
            func.max(vr.last_step_at),
        )
        .where(users.match(vr.user_id), vr.module_id.in_(modules))
        .group_by(vr.user_id, vr.module_id, vr.vignette_id)
    )


def read(facts: Any, shape: Any, row: Sequence[Any]) -> None:
    """Fold one vignette's runs into the trainee's facts on the module."""
    _user_id, _module_id, vignette_id, finished, *span = row
    facts.seen(*span)
    if vignette_id in shape.item_ids:
        (facts.done if finished else facts.started).add(vignette_id)


def overview(parts: Any) -> Select[Any]:
    """The dashboard's vignette branch: the case once finished (when required),
    and the span of activity."""
    vr = VignetteRun
    groups = (
        select(
            vr.user_id,
            vr.module_id,
            vr.vignette_id,
            func.max(vr.finished_at).label("finished"),
            func.min(vr.started_at).label("first"),
            func.max(vr.last_step_at).label("last_step"),
        )
        .where(parts.users.match(vr.user_id), vr.module_id.in_(parts.modules))
        .group_by(vr.user_id, vr.module_id, vr.vignette_id)
        .subquery()
    )
    v = groups.c
    finished = and_(
        v.finished.is_not(None), parts.is_required(v.module_id, v.vignette_id)
    )
    return select(
        v.user_id,
        v.module_id,
        case((finished, v.vignette_id)),
        parts.no_score(),
        v.first,
        v.finished,
        v.last_step,
        parts.not_certified(),
    )


SOURCE = FactSource(
    name="vignettes",
    statement=statement,
    read=read,
    overview=overview,
    grouped=True,
    stream_rows=400,
)
