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
import logging
import weakref
from email.utils import parseaddr
from typing import Any

from flask import Flask, current_app, has_app_context, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session

from kaptrain.extensions import db
from kaptrain.models import SUBJECT_MAX, OutboxMessage
from kaptrain.platform.mail.delivery import (
    Courier,
    DeliveryReport,
    backoff_seconds,
    deliver_batch,
    deliver_due,
    seconds_until_next_due,
)
from kaptrain.platform.mail.transports import SMTPSettings, transport_for

log = logging.getLogger(__name__)

_PENDING = "kaptrain_mail_pending"


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


__all__ = [
    "Courier",
    "DeliveryReport",
    "SMTPSettings",
    "backoff_seconds",
    "deliver_batch",
    "deliver_due",
    "init_mail",
    "is_mail_address",
    "seconds_until_next_due",
    "send_mail",
    "send_template",
    "stop_delivery",
    "transport_for",
]
