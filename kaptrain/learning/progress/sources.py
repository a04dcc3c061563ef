"""Every record query progress reads, in order: item progress rows, each item
kind's own records (declared in ``kaptrain/kinds/<kind>/facts.py``), certificates.

Item progress rows and certificates belong to no single kind (lessons and
vignettes both write item rows; a certificate is the module's), so they are
declared here; the kinds contribute the rest through the registry. The same
sources serve the per-trainee facts (:mod:`.queries`) and the dashboard's
aggregate (:mod:`.overview`), so both read the records alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    literal,
    null,
    select,
    tuple_,
)

from kaptrain.kinds.base import FactSource
from kaptrain.kinds.registry import KINDS
from kaptrain.learning.progress.facts import Facts, Shape, Users
from kaptrain.learning.progress.rules import DONE
from kaptrain.models import Certificate, ItemProgress, VignetteRun

_TIME = VignetteRun.started_at.type


@dataclass(frozen=True)
class OverviewParts:
    """What each branch of the dashboard's UNION ALL is built from: the users,
    the modules, the required (module, item) pairs and the (module, current quiz)
    pairs, all bound parameters; plus typed NULLs, so every branch's columns match
    (user_id, module_id, done, post, t1, t2, t3, certified)."""

    users: Users
    modules: Any
    required: Any
    quizzes: Any

    def is_required(self, module: Any, item: Any) -> Any:
        """Whether (module, item) is among the required pairs."""
        return tuple_(module, item).in_(self.required)

    @staticmethod
    def no_score() -> Any:
        return cast(null(), Float)

    @staticmethod
    def no_time() -> Any:
        return cast(null(), _TIME)

    @staticmethod
    def not_certified() -> Any:
        return literal(0, Integer)


# -- item progress rows --------------------------------------------------------


def _items(users: Users, modules: Any) -> Select[Any]:
    ip = ItemProgress
    return select(
        ip.user_id,
        ip.module_id,
        ip.item_id,
        ip.status,
        ip.started_at,
        ip.completed_at,
    ).where(users.match(ip.user_id), ip.module_id.in_(modules))


def _read_item(facts: Facts, shape: Shape, row: Sequence[Any]) -> None:
    _user_id, _module_id, item_id, status, started, completed = row
    facts.seen(started, completed)
    if item_id in shape.item_ids:
        (facts.done if status == DONE else facts.started).add(item_id)


def _items_overview(parts: OverviewParts) -> Select[Any]:
    ip = ItemProgress
    done = and_(ip.status == DONE, parts.is_required(ip.module_id, ip.item_id))
    return select(
        ip.user_id.label("user_id"),
        ip.module_id.label("module_id"),
        case((done, ip.item_id)).label("done"),
        parts.no_score().label("post"),
        ip.started_at.label("t1"),
        ip.completed_at.label("t2"),
        parts.no_time().label("t3"),
        parts.not_certified().label("certified"),
    ).where(parts.users.match(ip.user_id), ip.module_id.in_(parts.modules))


ITEMS = FactSource(
    name="items",
    statement=_items,
    read=_read_item,
    overview=_items_overview,
    stream_rows=1000,
)


# -- certificates --------------------------------------------------------------


def _certificates(users: Users, modules: Any) -> Select[Any]:
    ce = Certificate
    return select(
        ce.user_id, ce.module_id, ce.code, ce.ce_hours, ce.completed_at
    ).where(users.match(ce.user_id), ce.module_id.in_(modules))


def _read_certificate(facts: Facts, _shape: Shape, row: Sequence[Any]) -> None:
    _user_id, _module_id, code, hours, completed_at = row
    facts.seen(completed_at)
    facts.cert_code = code
    facts.cert_hours = Decimal(hours)
    facts.completed_at = facts.moment(completed_at)


def _certificates_overview(parts: OverviewParts) -> Select[Any]:
    ce = Certificate
    return select(
        ce.user_id,
        ce.module_id,
        cast(null(), ItemProgress.item_id.type),
        parts.no_score(),
        ce.completed_at,
        parts.no_time(),
        parts.no_time(),
        literal(1, Integer),
    ).where(parts.users.match(ce.user_id), ce.module_id.in_(parts.modules))


CERTIFICATES = FactSource(
    name="certificates",
    statement=_certificates,
    read=_read_certificate,
    overview=_certificates_overview,
    stream_rows=100,
)

#: Every record query, in the order they are read (the first two columns of each
#: row: user, module).
SOURCES: tuple[FactSource, ...] = (
    ITEMS,
    *(kind.facts for kind in KINDS if kind.facts is not None),
    CERTIFICATES,
)
