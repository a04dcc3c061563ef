"""Record helpers every kind's service shares: the version stamp learner records
carry, item progress rows (begun, done), and two small conversions.

The writes here never commit: they run inside a kind's
:func:`kaptrain.learning.unit_of_work.learner_write` block.
"""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup
from sqlalchemy import update

from kaptrain.content import Module
from kaptrain.extensions import db
from kaptrain.learning.progress import DONE
from kaptrain.models import ItemProgress, User, utcnow
from kaptrain.platform.database import insert_ignore


def record_stamp(module: Module) -> dict[str, str]:
    """The content version a learner record is made under."""
    return {
        "module_id": module.id,
        "module_version": module.version,
        "content_hash": module.content_hash,
    }


def mark_item_done(user: User, module: Module, item_id: str) -> None:
    """Record an item as done (no commit): insert, or finish an in-progress row."""
    now = utcnow()
    inserted = insert_ignore(
        ItemProgress,
        {
            "user_id": user.id,
            "item_id": item_id,
            "status": DONE,
            "started_at": now,
            "completed_at": now,
            **record_stamp(module),
        },
    )
    if not inserted:
        db.session.execute(
            update(ItemProgress)
            .where(
                ItemProgress.user_id == user.id,
                ItemProgress.module_id == module.id,
                ItemProgress.item_id == item_id,
                ItemProgress.status != DONE,
            )
            .values(
                status=DONE,
                completed_at=now,
                module_version=module.version,
                content_hash=module.content_hash,
            )
        )


def mark_item_started(user: User, module: Module, item_id: str) -> None:
    """Record an item as begun (no commit); a done item stays done."""
    insert_ignore(
        ItemProgress,
        {
            "user_id": user.id,
            "item_id": item_id,
            "status": "in_progress",
            "started_at": utcnow(),
            **record_stamp(module),
        },
    )


def plain_text(html: str) -> str:
    """Rendered content as plain text (for journal prompts and downloads)."""
    # Sanitized content HTML, only ever reduced to text here, never output as markup.
    return Markup(html).striptags()  # noqa: S704


def minutes_until(moment: dt.datetime, now: dt.datetime) -> int:
    """Whole minutes from ``now`` until ``moment``, rounded up, at least 1."""
    seconds = (moment - now).total_seconds()
    return max(1, int(-(-seconds // 60)))
