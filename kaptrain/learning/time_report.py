"""Time on task per item, for supervisors and the CE audit packet.

An item's time is from its first open (``item_opens``; for a case, the first
open of any of its steps, or the start of its first run) to its completion
(``item_progress.completed_at``). Lessons and cases only: the post-test's time
is its attempts' own start and submission, shown with each attempt.

A completion is flagged "far below the estimate" when it took less than
:data:`FAR_BELOW` of the item's estimated minutes. The flag does not depend on
``KAPTRAIN_MIN_TIME_SHARE``: records made while the rule was off (or before it
existed) are flagged all the same, which is the point of an audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from kaptrain.content import Lesson, Module, Vignette
from kaptrain.extensions import db
from kaptrain.models import ItemOpen, ItemProgress

#: Share of the estimate below which a completion is flagged.
FAR_BELOW = 0.25


@dataclass(frozen=True)
class ItemTime:
    """One trainee's time on one lesson or case."""

    item_id: str
    title: str
    kind: str
    estimated_minutes: int
    opened_at: dt.datetime | None
    completed_at: dt.datetime | None

    @property
    def minutes(self) -> float | None:
        """Minutes from first open to completion (None when either is unknown)."""
        if self.opened_at is None or self.completed_at is None:
            return None
        return max(0.0, (self.completed_at - self.opened_at).total_seconds() / 60)

    @property
    def flagged(self) -> bool:
        """Completed in less than FAR_BELOW of the estimate."""
        minutes = self.minutes
        return minutes is not None and minutes < FAR_BELOW * self.estimated_minutes


def item_times(module: Module, user_ids: Iterable[int]) -> dict[int, list[ItemTime]]:
    """Each user's time on every lesson and case of ``module`` (two queries)."""
    ids = list(user_ids)
    result: dict[int, list[ItemTime]] = {uid: [] for uid in ids}
    if not ids:
        return result
    opens: dict[tuple[int, str], dt.datetime] = {
        (uid, item): at
        for uid, item, at in db.session.execute(
            select(ItemOpen.user_id, ItemOpen.item_id, func.min(ItemOpen.opened_at))
            .where(ItemOpen.module_id == module.id, ItemOpen.user_id.in_(ids))
            .group_by(ItemOpen.user_id, ItemOpen.item_id)
        )
    }
    progress = {
        (row.user_id, row.item_id): row
        for row in db.session.execute(
            select(ItemProgress).where(
                ItemProgress.module_id == module.id, ItemProgress.user_id.in_(ids)
            )
        ).scalars()
    }
    timed = [i for i in module.items if isinstance(i, Lesson | Vignette)]
    for uid in ids:
        for item in timed:
            row = progress.get((uid, item.id))
            opened = opens.get((uid, item.id))
            if isinstance(item, Vignette) and row is not None:
                opened = min(filter(None, (opened, row.started_at)), default=None)
            result[uid].append(
                ItemTime(
                    item_id=item.id,
                    title=item.title,
                    kind=item.kind,
                    estimated_minutes=item.estimated_minutes,
                    opened_at=opened,
                    completed_at=row.completed_at if row is not None else None,
                )
            )
    return result


def total_minutes(times: Iterable[ItemTime]) -> float | None:
    """Minutes over the items whose time is known (None if none is)."""
    known = [t.minutes for t in times if t.minutes is not None]
    return sum(known) if known else None
