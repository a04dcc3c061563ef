"""Delivering the outbox: claim due messages, send them, retry failures.

The per-process :class:`Courier` thread runs :func:`deliver_due` after a commit
that added mail; ``flask --app kaptrain mail send`` runs it from a process.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update

from kaptrain.extensions import db
from kaptrain.models import OutboxMessage, utcnow
from kaptrain.platform.mail.transports import transport_for

log = logging.getLogger("kaptrain.platform.mail")

# A claimed message is not due again for this long: time enough for one SMTP
# conversation, short enough that a worker killed mid-send delays it little.
CLAIM_SECONDS = 300
BATCH = 50
# The longest the delivery thread sleeps when nothing is due.
IDLE_SECONDS = 300
MAX_BACKOFF_SECONDS = 6 * 60 * 60


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.failed += other.failed


def _build_message(row: Any, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.body)
    return message


def backoff_seconds(attempts: int, base: int) -> int:
    """Seconds before the next try after ``attempts`` failures: base, 2x, 4x, ..."""
    return int(min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def deliver_batch(app: Flask) -> DeliveryReport:
    """Claim and send up to BATCH due messages. Runs inside an app context."""
    config = app.config
    report = DeliveryReport()
    now = utcnow()
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    ).all()
    db.session.commit()
    if not due:
        return report
    transport = transport_for(config)
    sender = config["MAIL_FROM"]
    for outbox_id in due:
        # The UPDATE decides which worker owns the message: only one sees a row.
        claimed = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == outbox_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at <= now,
            )
            .values(
                next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS),
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(
                OutboxMessage.recipient,
                OutboxMessage.subject,
                OutboxMessage.body,
                OutboxMessage.attempts,
            )
        ).first()
        db.session.commit()
        if claimed is None:
            continue
        try:
            transport.send(_build_message(claimed, sender), outbox_id)
        except Exception as error:  # noqa: BLE001 - any failure is retried
            report.failed += 1
            _record_failure(config, outbox_id, claimed.attempts, error)
            continue
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id)
            .values(sent_at=utcnow(), next_attempt_at=None, body="", last_error="")
        )
        db.session.commit()
        report.sent += 1
        log.info("mail %d sent (attempt %d)", outbox_id, claimed.attempts)
    return report


def _record_failure(
    config: Any, outbox_id: int, attempts: int, error: Exception
) -> None:
    reason = f"{type(error).__name__}: {error}"[:500]
    give_up = attempts >= config["MAIL_MAX_ATTEMPTS"]
    retry_at = None
    if not give_up:
        delay = backoff_seconds(attempts, config["MAIL_RETRY_SECONDS"])
        retry_at = utcnow() + dt.timedelta(seconds=delay)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(next_attempt_at=retry_at, last_error=reason)
    )
    db.session.commit()
    if give_up:
        log.error(
            "mail %d not sent after %d attempts, giving up: %r",
            outbox_id,
            attempts,
            reason,
        )
    else:
        log.warning(
            "mail %d not sent (attempt %d), retrying at %s: %r",
            outbox_id,
            attempts,
            retry_at.isoformat(timespec="seconds") if retry_at else "-",
            reason,
        )


def deliver_due(app: Flask) -> DeliveryReport:
    """Send everything due now, batch after batch. Runs inside an app context."""
    total = DeliveryReport()
    while True:
        report = deliver_batch(app)
        total.add(report)
        if report.sent + report.failed < BATCH:
            return total


def seconds_until_next_due() -> float | None:
    """How long until the next unsent message is due (None: nothing waiting)."""
    nearest = db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.sent_at.is_(None)
        )
    )
    db.session.commit()
    if nearest is None:
        return None
    if nearest.tzinfo is None:
        nearest = nearest.replace(tzinfo=dt.UTC)
    return max((nearest - utcnow()).total_seconds(), 0.0)


class Courier:
    """The per-process delivery thread, started on the first commit with mail."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or self._pid != os.getpid():
                # First mail in this process (or in a forked worker, which does
                # not inherit its parent's threads): start the thread.
                self._stopping = False
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="kaptrain-mail", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is due one last time, then end the thread."""
        with self._lock:
            thread = self._thread
            if thread is None or self._pid != os.getpid():
                return
            self._stopping = True
            self._wake.set()
        thread.join(timeout)
        with self._lock:
            self._thread = None

    def _run(self) -> None:
        while True:
            self._wake.clear()
            wait = self._pass()
            if self._stopping:
                return
            self._wake.wait(wait)
            if self._stopping:
                self._pass()
                return

    def _pass(self) -> float:
        with self.app.app_context():
            try:
                deliver_due(self.app)
                remaining = seconds_until_next_due()
            except Exception:  # noqa: BLE001 - the thread must outlive a bad pass
                log.exception("mail delivery pass failed; trying again in a minute")
                db.session.rollback()
                remaining = 60.0
            finally:
                db.session.remove()
        if remaining is None:
            return IDLE_SECONDS
        return min(max(remaining, 0.05), IDLE_SECONDS)
