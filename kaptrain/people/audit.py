"""The audit log: logins, failures, role changes, exports, deletions, and every
time a supervisor opens a trainee's shared reflections.

Entries hold ids, emails, an address and a short detail, never passwords or
reflection text. Services call :func:`record` inside their own transaction so the
event commits with the change it describes.
"""

from __future__ import annotations

import logging

from flask import has_request_context, request

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, User

log = logging.getLogger("kaptrain.people.audit")

ACTIONS = (
    "login",
    "login_failed",
    "logout",
    "password_changed",
    "password_reset_issued",
    "password_reset_used",
    "role_changed",
    "user_created",
    "user_deactivated",
    "user_activated",
    "account_deleted",
    "data_downloaded",
    "export",
    "shared_reflections_viewed",
    "cohort_changed",
    "password_reset_requested",
    "member_invited",
    "invitation_accepted",
    "invitation_declined",
    "invitation_withdrawn",
    "member_assigned",
    "session_ended",
    # Security events (kaptrain.people.security_events).
    "access_denied",
    "csrf_rejected",
    "rate_limited",
    "new_device_login",
    "mfa_enrolled",
    "mfa_passed",
    "mfa_failed",
    "mfa_changed",
    "mfa_reset",
    "reauth",
    "reauth_failed",
    # Published content (kaptrain.authoring.revisions).
    "content_published",
    "content_rolled_back",
    # Signed credentials (kaptrain.learning.credentials.issuance).
    "certificate_revoked",
    "certificate_reinstated",
)

# Most privileged first: an event names the actor's highest role.
_ROLE_ORDER = ("admin", "supervisor", "author", "trainee")


def role_of(actor: object) -> str:
    """The most privileged role of ``actor`` (a User or the session user)."""
    roles = getattr(actor, "roles", frozenset())
    return next((role for role in _ROLE_ORDER if role in roles), "")


def record(
    action: str,
    *,
    actor: User | None = None,
    subject: User | None = None,
    subject_label: str = "",
    detail: str = "",
) -> AuditEvent:
    """Add an audit event to the current session (the caller commits)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    ip = request.remote_addr or "" if has_request_context() else ""
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else "",
        actor_role=role_of(actor) if actor else "",
        subject_id=subject.id if subject else None,
        subject_label=subject.email if subject else subject_label,
        ip=ip,
        detail=detail[:500],
    )
    db.session.add(event)
    log.info(
        "%s actor=%s subject=%s ip=%s %s",
        action,
        event.actor_id,
        event.subject_id if subject else event.subject_label,
        ip,
        detail[:200],
    )
    return event
