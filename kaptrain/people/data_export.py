"""A person's own data, exported: every record that names them, as JSON or CSVs.

Export gathers every record that names the person (never the password hash, login
tokens or reset-token hashes) into one JSON-serialisable dict with ISO 8601 UTC
timestamps; :mod:`kaptrain.people.data_export_csv` lays the same data out as one
CSV file per table.
Deleting an account is :mod:`kaptrain.people.privacy`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from kaptrain.extensions import db
from kaptrain.models import (
    AuditEvent,
    Certificate,
    Cohort,
    CohortInvitation,
    CohortMember,
    EvaluationResponse,
    ItemOpen,
    ItemProgress,
    JournalComment,
    JournalEntry,
    LoginSession,
    Passkey,
    PasswordResetLink,
    QuizAttempt,
    RecoveryCode,
    TotpCredential,
    User,
    VignetteRun,
    XapiStatement,
    cohort_supervisors,
    utcnow,
)
from kaptrain.people import audit

EXPORT_FORMAT = "kaptrain-personal-data"
EXPORT_VERSION = 1
# The owner's id is repeated in every row; the profile already says who.
_MINE = frozenset({"user_id"})


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # UTCDateTime never returns these; be safe anyway
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Any, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Every column of an ORM object, minus ``exclude``, as JSON-ready values."""
    skip = set(exclude)
    return {
        column.key: _value(getattr(obj, column.key))
        for column in obj.__table__.columns
        if column.key not in skip
    }


def _all(query: Any) -> list[Any]:
    return list(db.session.execute(query).scalars().all())


def export_user_data(user_id: int) -> dict[str, Any]:
    """Everything the platform holds about one person, as a JSON-ready dict."""
    user = db.session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user with id {user_id}")
    events = _all(
        select(AuditEvent)
        .where(_audit_about(user))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _value(utcnow()),
        "profile": _row(user, exclude={"password_hash"}),
        "roles": sorted(user.roles),
        **_cohorts(user_id),
        "item_progress": _owned(ItemProgress, user_id, ItemProgress.started_at),
        # When each item (or case step) was first served: time on task.
        "item_opens": _owned(ItemOpen, user_id, ItemOpen.opened_at),
        **_learning_records(user_id),
        "evaluations": _owned(
            EvaluationResponse, user_id, EvaluationResponse.submitted_at
        ),
        "certificates": _owned(Certificate, user_id, Certificate.issued_at),
        # The xAPI statements queued about the person (kaptrain.xapi).
        "xapi_statements": _owned(XapiStatement, user_id, XapiStatement.created_at),
        "login_sessions": [
            _row(row, exclude={"token", "user_id"})
            for row in _all(
                select(LoginSession)
                .where(LoginSession.user_id == user_id)
                .order_by(LoginSession.created_at)
            )
        ],
        "password_reset_links": _reset_links(user_id),
        "two_step_sign_in": _second_factors(user_id),
        "cohort_invitations": _invitations(user.email),
        "shared_reflections_seen": [
            {
                "at": _value(event.at),
                "role": event.actor_role or "staff",
                "where": event.detail,
            }
            for event in events
            if event.action == "shared_reflections_viewed"
            and event.subject_id == user.id
            and event.actor_id != user.id
        ],
        "audit_events": [_audit_row(event, user) for event in events],
    }


def _mine(model: Any, user_id: int, when: Any) -> list[Any]:
    """The person's rows of ``model``, oldest first."""
    return _all(select(model).where(model.user_id == user_id).order_by(when, model.id))


def _owned(model: Any, user_id: int, when: Any) -> list[dict[str, Any]]:
    """The person's rows of ``model``, oldest first, without their user id."""
    return [_row(row, exclude=_MINE) for row in _mine(model, user_id, when)]


def _cohorts(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The cohorts the person belongs to and the ones they supervise."""
    memberships = db.session.execute(
        select(CohortMember, Cohort.name)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.user_id == user_id)
        .order_by(CohortMember.joined_at)
    ).all()
    supervised = db.session.execute(
        select(Cohort.id, Cohort.name)
        .join(cohort_supervisors, cohort_supervisors.c.cohort_id == Cohort.id)
        .where(cohort_supervisors.c.user_id == user_id)
        .order_by(Cohort.id)
    ).all()
    return {
        "cohort_memberships": [
            {
                "cohort_id": member.cohort_id,
                "cohort_name": name,
                "joined_at": _value(member.joined_at),
            }
            for member, name in memberships
        ],
        "supervised_cohorts": [
            {"cohort_id": cohort_id, "cohort_name": name}
            for cohort_id, name in supervised
        ],
    }


def _learning_records(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Quiz attempts with responses, case runs with steps, the journal."""
    return {
        "quiz_attempts": _with_children(
            _mine(QuizAttempt, user_id, QuizAttempt.started_at),
            "responses",
            lambda attempt: [
                _row(r, exclude={"attempt_id"}) for r in attempt.responses
            ],
        ),
        "vignette_runs": _with_children(
            _mine(VignetteRun, user_id, VignetteRun.started_at),
            "steps",
            lambda run: [_row(s, exclude={"run_id"}) for s in run.steps],
        ),
        **_journal(user_id),
    }


def _with_children(
    parents: list[Any], key: str, children: Callable[[Any], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Each of the person's rows, with its child rows listed under ``key``."""
    return [
        {**_row(parent, exclude=_MINE), key: children(parent)} for parent in parents
    ]


def _journal(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The person's journal entries with the comments on them, and the comments
    they wrote (as a supervisor) on other people's entries."""
    written = _all(
        select(JournalComment)
        .where(JournalComment.author_id == user_id)
        .order_by(JournalComment.created_at, JournalComment.id)
    )
    return {
        "journal_entries": _with_children(
            _mine(JournalEntry, user_id, JournalEntry.created_at),
            "comments",
            lambda entry: [
                {
                    # The commenter by name, as the journal page shows them,
                    # not by account id.
                    **_row(c, exclude={"entry_id", "author_id"}),
                    "author_name": c.author.name if c.author else None,
                }
                for c in entry.comments
            ],
        ),
        "journal_comments_written": [_row(c) for c in written],
    }


def _reset_links(user_id: int) -> list[dict[str, Any]]:
    return [
        {
            **_row(row, exclude={"token_hash", "user_id", "issued_by_id"}),
            # Who started it by role, never the administrator's id.
            "started_by": _started_by(row.issued_by_id, user_id),
        }
        for row in _all(
            select(PasswordResetLink)
            .where(PasswordResetLink.user_id == user_id)
            .order_by(PasswordResetLink.created_at, PasswordResetLink.id)
        )
    ]


def _invitations(email: str) -> list[dict[str, Any]]:
    return [
        {
            "cohort_name": name,
            "status": invitation.status,
            "created_at": _value(invitation.created_at),
            "answered_at": _value(invitation.answered_at),
        }
        for invitation, name in db.session.execute(
            select(CohortInvitation, Cohort.name)
            .join(Cohort, Cohort.id == CohortInvitation.cohort_id)
            .where(CohortInvitation.email == email)
            .order_by(CohortInvitation.created_at, CohortInvitation.id)
        )
    ]


def _started_by(issuer_id: int | None, user_id: int) -> str:
    if issuer_id == user_id:
        return "you"
    return "administrator" if issuer_id is not None else "a deleted account"


def _audit_row(event: AuditEvent, user: User) -> dict[str, Any]:
    """An audit event as the person may see it: their own actions in full; what
    others did to them by the actor's role and the time, never the actor's id,
    e-mail address or IP address (those are the other person's data)."""
    if event.actor_id == user.id:
        return _row(event)
    return {
        "id": event.id,
        "at": _value(event.at),
        "action": event.action,
        "actor_role": event.actor_role or None,
        "detail": event.detail,
    }


def _second_factors(user_id: int) -> list[dict[str, Any]]:
    """Which second factors exist and when they were made and used: never the
    authenticator key, a code or its hash, or a passkey's key material."""
    rows: list[dict[str, Any]] = []
    totp = db.session.get(TotpCredential, user_id)
    if totp is not None:
        rows.append(
            {
                "method": "authenticator app",
                "name": "",
                "created_at": _value(totp.enabled_at),
                "used_at": None,
            }
        )
    for code in _all(
        select(RecoveryCode)
        .where(RecoveryCode.user_id == user_id)
        .order_by(RecoveryCode.id)
    ):
        rows.append(
            {
                "method": "recovery code",
                "name": "",
                "created_at": _value(code.created_at),
                "used_at": _value(code.used_at),
            }
        )
    for key in _all(
        select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)
    ):
        rows.append(
            {
                "method": "passkey",
                "name": key.name,
                "created_at": _value(key.created_at),
                "used_at": _value(key.last_used_at),
            }
        )
    return rows


def _audit_about(user: User) -> Any:
    """Audit events that name ``user`` by id or email address (labels or detail)."""
    return or_(
        AuditEvent.actor_id == user.id,
        AuditEvent.subject_id == user.id,
        AuditEvent.actor_label == user.email,
        AuditEvent.subject_label == user.email,
        AuditEvent.detail.contains(user.email, autoescape=True),
    )


def record_download(user: User, fmt: str) -> None:
    """Note in the audit log that ``user`` downloaded their data (commits)."""
    audit.record("data_downloaded", actor=user, subject=user, detail=f"format={fmt}")
    db.session.commit()
