"""The mail outbox: every message is a row first, delivered after commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow
from kaptrain.models.users import EMAIL_MAX

SUBJECT_MAX = 200


class OutboxMessage(db.Model):
    """One message to send. Written in the caller's transaction, so a rolled-back
    request sends nothing; the delivery loop claims, sends and marks it.

    ``next_attempt_at`` is when the message is next due; None once sent or given
    up. Claiming a message moves it into the future (a lease), so two workers
    never send the same one, and one that died mid-send is retried later. The
    body is blanked once sent: it may hold a one-time link that the database
    must not keep in clear.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_next_attempt_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(EMAIL_MAX))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, default=utcnow
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="", server_default="")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id}>"
