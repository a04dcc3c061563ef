"""When a trainee first opened each item (and each step of a case run).

Time on task is measured from the server's clock, without JavaScript: the first
time an item page is served the row is inserted; later views find it and write
nothing. ``part`` is empty for the item itself and ``run<id>-step<n>`` for the
page of step ``n`` of a vignette run (see kaptrain.learning.time_on_task).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow
from kaptrain.models.learning import ID_MAX

PART_MAX = 64


class ItemOpen(db.Model):
    """The first time a trainee was served an item (or a case step) page."""

    __tablename__ = "item_opens"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "item_id", "part"),
        Index("ix_item_opens_module_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[str] = mapped_column(String(ID_MAX))
    item_id: Mapped[str] = mapped_column(String(ID_MAX))
    part: Mapped[str] = mapped_column(String(PART_MAX), default="")
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
