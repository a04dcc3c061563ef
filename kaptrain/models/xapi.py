"""The xAPI outbox: each statement a row, written with the record it describes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow

XAPI_PENDING = "pending"
XAPI_DELIVERED = "delivered"
XAPI_REJECTED = "rejected"


class XapiStatement(db.Model):
    """One xAPI statement to deliver to the Learning Record Store.

    ``id`` is the statement's own id, a UUID derived from what the statement
    describes (kaptrain.xapi.ids), so writing it twice (a replay, a backfill)
    inserts one row and the LRS, seeing a known id, stores it once. ``next_try_at``
    is when a pending statement is next due; claiming a batch moves it into the
    future (a lease), so two senders never hold the same row at once.
    """

    __tablename__ = "xapi_statements"
    __table_args__ = (Index("ix_xapi_statements_status_next", "status", "next_try_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    #: Deleting an account deletes its rows here, so nothing pending is sent.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=XAPI_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_try_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<XapiStatement {self.id} {self.kind} {self.status}>"
