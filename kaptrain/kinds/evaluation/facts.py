"""How evaluation responses become progress facts.

The evaluation is done once a response is submitted: any response of the module
counts, also one submitted under an earlier evaluation id (the trainee should not
be asked twice because an author renamed the file).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, case, select

from kaptrain.kinds.base import FactSource
from kaptrain.models import EvaluationResponse


def is_done(_item: Any, progress: Any) -> bool:
    """Any evaluation response of the module counts."""
    return bool(progress.evaluation_done)


def statement(users: Any, modules: Any) -> Select[Any]:
    """One row per evaluation response."""
    er = EvaluationResponse
    return select(er.user_id, er.module_id, er.evaluation_id, er.submitted_at).where(
        users.match(er.user_id), er.module_id.in_(modules)
    )


def read(facts: Any, shape: Any, row: Sequence[Any]) -> None:
    """Fold one response into the trainee's facts on the module."""
    _user_id, _module_id, evaluation_id, submitted_at = row
    facts.seen(submitted_at)
    facts.evaluation = True
    if evaluation_id in shape.item_ids:
        facts.done.add(evaluation_id)


def overview(parts: Any) -> Select[Any]:
    """The dashboard's evaluation branch: the evaluation (when required) and when."""
    er = EvaluationResponse
    return select(
        er.user_id,
        er.module_id,
        case((parts.is_required(er.module_id, er.evaluation_id), er.evaluation_id)),
        parts.no_score(),
        er.submitted_at,
        parts.no_time(),
        parts.no_time(),
        parts.not_certified(),
    ).where(parts.users.match(er.user_id), er.module_id.in_(parts.modules))


SOURCE = FactSource(
    name="evaluations",
    statement=statement,
    read=read,
    overview=overview,
    stream_rows=100,
)
