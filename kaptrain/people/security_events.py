"""Security events: access denied, CSRF rejected, rate limit hit, new device.

They go to the audit log (``audit_events``), where administrators filter them
on ``/admin/audit``, and to the ``kaptrain.people.audit`` log. They happen only on
requests that are refused (or on a sign-in), never on a normal page view, so
the ordinary request path does no extra write.

A refused request is what an attacker sends by the thousand, so recording is
itself throttled, in the rate limiter's shared storage: one event per kind,
address and detail (path or limit) a minute, and at most 20 a minute per
address. The rest are counted by the rate limiter and dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g, request
from flask_login import current_user
from limits import parse
from sqlalchemy.exc import SQLAlchemyError

from kaptrain.extensions import db, limiter
from kaptrain.people import audit
from kaptrain.platform.database import set_write_intent

log = logging.getLogger("kaptrain.platform.headers")

ACCESS_DENIED = "access_denied"
CSRF_REJECTED = "csrf_rejected"
RATE_LIMITED = "rate_limited"
NEW_DEVICE_LOGIN = "new_device_login"
#: Security kinds the audit page groups; second-factor failures (recorded by
#: kaptrain.people.mfa where that is installed) join them when they are audit actions.
KINDS = tuple(
    kind
    for kind in (
        ACCESS_DENIED,
        CSRF_REJECTED,
        RATE_LIMITED,
        NEW_DEVICE_LOGIN,
        "mfa_failed",
        "reauth_failed",
    )
    if kind in audit.ACTIONS
)

_SAME_EVENT = parse("1 per minute")
_PER_ADDRESS = parse("20 per minute")
_DENIED_FLAG = "kaptrain_access_denied"


def mark_access_denied() -> None:
    """Say that this request's 403/404 comes from an access check."""
    g.setdefault(_DENIED_FLAG, True)


def access_was_denied() -> bool:
    return bool(g.get(_DENIED_FLAG))


def _worth_recording(kind: str, detail: str) -> bool:
    if not limiter.enabled:
        return True
    address = request.remote_addr or "unknown"
    try:
        strategy = limiter.limiter
        return strategy.hit(
            _SAME_EVENT, "security-event", kind, address, detail
        ) and strategy.hit(_PER_ADDRESS, "security-event", address)
    except Exception:  # noqa: BLE001 - a storage problem must not hide the event
        return True


def _actor() -> Any:
    try:
        return current_user if current_user.is_authenticated else None
    except SQLAlchemyError:
        return None


def record_refusal(kind: str, detail: str) -> None:
    """Record a refused request in its own transaction (the request's own work,
    if any, is rolled back: it was refused)."""
    detail = f"{detail} {request.method} {request.path}"[:500]
    if not _worth_recording(kind, detail):
        return
    try:
        db.session.rollback()
        set_write_intent(True)
        actor = _actor()
        audit.record(kind, actor=actor, subject=actor, detail=detail)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not record a %s event", kind, exc_info=True)


def record_new_device(user: Any) -> None:
    """Record a sign-in from a browser that never signed in to ``user`` before
    (in the caller's transaction)."""
    audit.record(
        NEW_DEVICE_LOGIN,
        actor=user,
        subject=user,
        detail=request.user_agent.string[:200],
    )
