"""Time on task from the server's clock: when an item was first opened, and
whether enough of its estimated time has passed to complete it.

No JavaScript and no heartbeat: the first time a trainee is served a lesson
page (or the page of one step of a case run) an ``item_opens`` row is inserted;
every later view of that page finds the row with one indexed SELECT and writes
nothing. The insert is ``INSERT ... ON CONFLICT DO NOTHING`` on a unique key
(user, module, item, part), so two tabs opening the page at once keep one row
and the earlier time.

Decision: the open is recorded only while the item is not done (a finished
lesson or case has nothing left to time), and it goes through the one
learner-write path (``learner_write``, kind ``item_opened``), so the records
version and the event stream see it like any other learner record.

The rule (``KAPTRAIN_MIN_TIME_SHARE``, default 0.25, 0 turns it off): a lesson
cannot be marked complete sooner than that share of its ``estimated_minutes``
after it was first opened. A case's estimate is spread evenly over the nodes
where the trainee makes a move (scenes and reflections; endings need none), and
each step waits that share of its part.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from kaptrain.content import Lesson, Module, Vignette
from kaptrain.extensions import db
from kaptrain.learning.unit_of_work import learner_write
from kaptrain.models import ItemOpen, User, VignetteRun, utcnow
from kaptrain.platform.database import insert_ignore


@dataclass(frozen=True)
class TooSoon:
    """A completion refused for now; ``seconds`` is how long is left."""

    seconds: int

    @property
    def message(self) -> str:
        """A friendly sentence saying how long is left."""
        return (
            "Take a little longer with this: you can continue in "
            f"{wait_words(self.seconds)}. Completion needs time on the page, "
            "so that the CE hours reflect real study."
        )


def min_share() -> float:
    """The configured share of the estimate (0 when the rule is off)."""
    return float(current_app.config.get("MIN_TIME_SHARE", 0.25) or 0)


def step_part(run: VignetteRun, step: int) -> str:
    """The ``part`` naming step ``step`` (0-based moves made) of a case run."""
    return f"run{run.id}-step{step}"


def first_open(
    user_id: int, module_id: str, item_id: str, part: str = ""
) -> dt.datetime | None:
    """When the trainee first opened this item (or case step), if ever."""
    return db.session.execute(
        select(ItemOpen.opened_at).where(
            ItemOpen.user_id == user_id,
            ItemOpen.module_id == module_id,
            ItemOpen.item_id == item_id,
            ItemOpen.part == part,
        )
    ).scalar_one_or_none()


def record_open(
    user_id: int,
    module: Module,
    item_id: str,
    part: str = "",
    load_user: Callable[[], User] | None = None,
) -> dt.datetime:
    """Record the first open of an item (or case step); return its time.

    A page view that finds the open costs one SELECT; ``load_user`` (default:
    by id) is called only when there is a row to write."""
    opened = first_open(user_id, module.id, item_id, part)
    if opened is not None:
        return opened
    user = load_user() if load_user else db.session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    now = utcnow()
    with learner_write(
        user, module, item_id, kind="item_opened", certify=False, progress=False
    ) as write:
        write.outcome["part"] = part
        insert_ignore(
            ItemOpen,
            {
                "user_id": user_id,
                "module_id": module.id,
                "item_id": item_id,
                "part": part,
                "opened_at": now,
            },
        )
    return first_open(user_id, module.id, item_id, part) or now


def seconds_left(
    opened_at: dt.datetime | None, minutes: float, share: float, now: dt.datetime
) -> int:
    """Seconds still to wait: ``share`` of ``minutes`` from ``opened_at``.

    Never opened means the whole share is still to come."""
    required = share * minutes * 60
    if required <= 0:
        return 0
    elapsed = (now - opened_at).total_seconds() if opened_at else 0.0
    return max(0, math.ceil(required - elapsed))


def step_minutes(vignette: Vignette) -> float:
    """A case's estimated minutes per move (scenes and reflections)."""
    moves = sum(1 for node in vignette.nodes.values() if node.kind != "ending")
    return vignette.estimated_minutes / max(moves, 1)


def lesson_too_soon(user: User, module: Module, lesson: Lesson) -> TooSoon | None:
    """Why the lesson cannot be completed yet, or None when it can."""
    share = min_share()
    if share <= 0:
        return None
    opened = first_open(user.id, module.id, lesson.id)
    left = seconds_left(opened, lesson.estimated_minutes, share, utcnow())
    return TooSoon(left) if left else None


def step_too_soon(
    user: User,
    module: Module,
    vignette: Vignette,
    run: VignetteRun,
    step: int,
    done: bool = False,
) -> TooSoon | None:
    """Why this move of a run cannot be made yet, or None when it can.

    A case already done, a finished run and a stale form (``step`` is not the
    run's current step: the move changes nothing anyway) are never timed."""
    share = min_share()
    if share <= 0 or done or run.finished_at is not None or run.step_count != step:
        return None
    opened = first_open(user.id, module.id, vignette.id, step_part(run, step))
    left = seconds_left(opened, step_minutes(vignette), share, utcnow())
    return TooSoon(left) if left else None


def wait_words(seconds: int) -> str:
    """``45 seconds``, ``1 minute``, ``about 3 minutes``."""
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"about {minutes} minutes"
