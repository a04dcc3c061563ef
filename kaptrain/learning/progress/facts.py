"""The facts of one trainee on one module while records are being read.

The record queries (:mod:`.queries`, and each kind's ``facts.py``) fold their rows
into a :class:`Facts`; :func:`.queries.build` then turns it into the immutable
:class:`.rules.ModuleProgress` every rule reads. Nothing here decides a status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.sql.elements import CollectionAggregate

from kaptrain.content import Module
from kaptrain.learning.progress.rules import required_ids


def aware(value: Any) -> dt.datetime:
    """A moment as an aware UTC datetime."""
    # Aggregates (min/max) bypass the UTCDateTime type on SQLite and may come back
    # naive or even as strings; normalise so comparisons never mix kinds.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is dt.UTC:
        return value  # the common case (UTCDateTime columns): nothing to convert
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class Facts:
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

    @staticmethod
    def moment(value: Any) -> dt.datetime | None:
        """A column's moment as aware UTC, None staying None."""
        return None if value is None else aware(value)

    def seen(self, *moments: dt.datetime | None) -> None:
        """A record exists; widen the span of activity by its moments."""
        self.touched = True
        for moment in moments:
            if moment is None:
                continue
            moment = aware(moment)
            if self.first is None or moment < self.first:
                self.first = moment
            if self.last is None or moment > self.last:
                self.last = moment


@dataclass(frozen=True)
class Shape:
    """What progress needs from a module, looked up once per call rather than
    once per record or per trainee (``Module.lessons`` and ``Module.item`` scan
    the items each time; on a 1,000-trainee dashboard that was a third of the
    time)."""

    item_ids: frozenset[str]
    quiz_id: str
    lessons: tuple[str, ...]
    vignettes: tuple[str, ...]

    @classmethod
    def of(cls, module: Module) -> Shape:
        return cls(
            item_ids=frozenset(i.id for i in module.items),
            quiz_id=module.quiz.id,
            lessons=required_ids(module, "lesson"),
            vignettes=required_ids(module, "vignette"),
        )


@dataclass(frozen=True)
class Users:
    """The users a record query is about: a SELECT of ids (an IN-subquery), an
    expanding list of ids, or one array bound as ``= ANY(...)`` (PostgreSQL)."""

    operand: Any

    def match(self, column: Any) -> Any:
        """``column IN users``, or ``column = ANY(array)``."""
        if isinstance(self.operand, CollectionAggregate):
            return column == self.operand
        return column.in_(self.operand)
