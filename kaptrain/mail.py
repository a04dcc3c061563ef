"""Outgoing e-mail: ``send_mail(to, subject, body)`` and its delivery.

``send_mail`` only adds a row to the outbox in the current database session, so
the message commits (or rolls back) with the caller's transaction and a request
never waits for, or fails because of, a mail server. After a commit that added
mail, a background thread in this process wakes and delivers what is due: by
SMTP when ``KAPTRAIN_SMTP_URL`` is set, otherwise as one ``.eml`` file per
message in ``instance/mail/``. A failed send is logged and retried with
exponential backoff; ``flask --app kaptrain mail send [--once]`` drains the
outbox from a separate process (after a restart, or as a service of its own).
"""

from __future__ import annotations

import atexit
import datetime as dt
import ipaddress
import logging
import os
import smtplib
import ssl
import threading
import weakref
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, has_app_context, render_template
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from .extensions import db
from .models import SUBJECT_MAX, OutboxMessage, utcnow

log = logging.getLogger(__name__)

_PENDING = "kaptrain_mail_pending"
# A claimed message is not due again for this long: time enough for one SMTP
# conversation, short enough that a worker killed mid-send delays it little.
CLAIM_SECONDS = 300
BATCH = 50
SMTP_TIMEOUT = 20
# The longest the delivery thread sleeps when nothing is due.
IDLE_SECONDS = 300
MAX_BACKOFF_SECONDS = 6 * 60 * 60


def is_mail_address(text: str) -> bool:
    """Is ``text`` exactly one address that a mail header can carry as is?

    Forms check this so a person hears at once that an address cannot be used
    (``a,b@x.org`` would otherwise be read by mail software as two recipients).
    """
    address = text.strip()
    return (
        bool(address)
        and not any(ch.isspace() for ch in address)
        and address.count("@") == 1
        and parseaddr(address)[1] == address
    )


def send_mail(to: str, subject: str, body: str) -> None:
    """Queue a plain-text message to ``to`` in the current transaction.

    Delivery happens after the caller commits, in the background; problems with
    the mail server are logged and retried, never raised here. An address that
    is not one usable address (forms refuse those; an old account might hold
    one) is logged and not queued.
    """
    if not is_mail_address(to):
        log.warning("mail not queued: %r is not a single usable address", to)
        return
    # Headers cannot hold line breaks; one in a subject would end the header.
    clean_subject = " ".join(subject.split())[:SUBJECT_MAX]
    db.session.add(
        OutboxMessage(recipient=to.strip(), subject=clean_subject, body=body)
    )
    db.session.info[_PENDING] = True


def send_template(to: str, subject: str, template: str, **context: Any) -> None:
    """``send_mail`` with the body rendered from ``templates/mail/<template>.txt``
    (plain text: Jinja does not autoescape .txt templates)."""
    send_mail(to, subject, render_template(f"mail/{template}.txt", **context))


def _after_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False) and has_app_context():
        courier = current_app.extensions.get("kaptrain_mail")
        if courier is not None:
            courier.wake()


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- transports -----------------------------------------------------------------


class Transport(Protocol):
    def send(self, message: EmailMessage, outbox_id: int) -> None: ...


@dataclass(frozen=True)
class SMTPSettings:
    """``smtp://user:pass@host:587`` (STARTTLS when offered) or ``smtps://`` (TLS)."""

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SMTPSettings:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in {"smtp", "smtps"}:
            raise ValueError("the URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("the URL names no host")
        try:
            port = parts.port or (465 if scheme == "smtps" else 587)
        except ValueError:
            raise ValueError("the port is not a number between 0 and 65535") from None
        return cls(
            scheme=scheme,
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class SMTPTransport:
    def __init__(self, settings: SMTPSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        s = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.scheme == "smtps":
            client = smtplib.SMTP_SSL(
                s.host, s.port, timeout=SMTP_TIMEOUT, context=context
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
        with client:
            client.ehlo()
            if s.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif s.scheme == "smtp" and s.username and not s.loopback:
                raise smtplib.SMTPNotSupportedError(
                    f"{s.host} does not offer STARTTLS; refusing to send the "
                    "password unencrypted (use smtps:// or a server with STARTTLS)"
                )
            if s.username:
                client.login(s.username, s.password or "")
            client.send_message(message)


class FileTransport:
    """Development without SMTP: each message becomes ``<dir>/<time>-<id>.eml``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"{stamp}-{outbox_id:06d}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(message))


def transport_for(config: Any) -> Transport:
    url = config.get("SMTP_URL")
    if url:
        return SMTPTransport(SMTPSettings.from_url(url))
    return FileTransport(Path(config["MAIL_DIR"]))


# --- delivery -------------------------------------------------------------------


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


def stop_delivery(app: Flask) -> None:
    courier = app.extensions.get("kaptrain_mail")
    if courier is not None:
        courier.stop()


_listening = False
# Every courier of this process, so that exit delivers what is due (a CLI command
# that sends mail ends before a background pass would); weak, so tests that
# build many apps keep none alive.
_couriers: weakref.WeakSet[Courier] = weakref.WeakSet()


@atexit.register
def _deliver_at_exit() -> None:
    for courier in list(_couriers):
        courier.stop()


def init_mail(app: Flask) -> None:
    """Attach the courier to ``app`` and say where development mail goes."""
    global _listening
    if not _listening:
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        _listening = True
    courier = Courier(app)
    app.extensions["kaptrain_mail"] = courier
    _couriers.add(courier)
    if not app.config.get("SMTP_URL") and not app.config.get("TESTING"):
        level = (
            logging.WARNING if app.config["ENV_NAME"] == "production" else logging.INFO
        )
        log.log(
            level,
            "KAPTRAIN_SMTP_URL is not set: mail is not sent but written to %s "
            "(one .eml file per message).",
            app.config["MAIL_DIR"],
        )
