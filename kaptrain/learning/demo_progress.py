"""Demo data: a trainee part-way through the first module, honestly timed.

``flask demo`` calls :func:`start_demo_module` for trainee@example.org, so a
newcomer sees a module in progress on the dashboard. The records are what a
real trainee would leave after reading the first lessons at the estimated pace:
each lesson was opened (``item_opens``) and completed its full
``estimated_minutes`` later, on the two days before the demo ran; the next
lesson was opened an hour ago and is not done. So every completion satisfies
the time-on-task rule (KAPTRAIN_MIN_TIME_SHARE) with room to spare, and the
supervisor's drill-down flags nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from kaptrain.content import Catalog, Lesson, Module
from kaptrain.extensions import db
from kaptrain.kinds.records import record_stamp
from kaptrain.learning.progress import DONE
from kaptrain.learning.unit_of_work import learner_write
from kaptrain.models import ItemOpen, ItemProgress, User, utcnow
from kaptrain.platform.database import insert_ignore

#: Lessons the demo trainee has completed (fewer if the module has fewer: one
#: lesson is always left open, so the module stays in progress).
DONE_LESSONS = 2


def _open(user: User, module: Module, lesson: Lesson, at: dt.datetime) -> None:
    insert_ignore(
        ItemOpen,
        {
            "user_id": user.id,
            "module_id": module.id,
            "item_id": lesson.id,
            "part": "",
            "opened_at": at,
        },
    )


def start_demo_module(user: User, catalog: Catalog) -> Module | None:
    """Put ``user`` part-way through the first module without prerequisites.

    Returns the module, or None when the user already has records in it (the
    demo is safe to run again) or no module fits."""
    module = next((m for m in catalog.modules if not m.prerequisites), None)
    if module is None or len(module.lessons) < 2:
        return None
    finished = min(DONE_LESSONS, len(module.lessons) - 1)
    touched = db.session.execute(
        select(ItemProgress.id).where(
            ItemProgress.user_id == user.id, ItemProgress.module_id == module.id
        )
    ).first()
    if touched is not None:
        return None
    now = utcnow()
    for day, lesson in enumerate(module.lessons[:finished]):
        opened = now - dt.timedelta(days=finished - day, hours=2)
        done = opened + dt.timedelta(minutes=lesson.estimated_minutes)
        with learner_write(user, module, lesson.id, kind="lesson_completed"):
            _open(user, module, lesson, opened)
            insert_ignore(
                ItemProgress,
                {
                    "user_id": user.id,
                    "item_id": lesson.id,
                    "status": DONE,
                    "started_at": opened,
                    "completed_at": done,
                    **record_stamp(module),
                },
            )
    reading = module.lessons[finished]
    with learner_write(
        user, module, reading.id, kind="item_opened", certify=False, progress=False
    ):
        _open(user, module, reading, now - dt.timedelta(hours=1))
    return module
