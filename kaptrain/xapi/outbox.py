"""The transactional outbox: statements written with the records they describe.

:func:`queue_for_write` hangs on the learner-write path
(``kaptrain.learning.unit_of_work.on_write``): inside the write's transaction it
builds the event's statements and writes them all with ONE executemany
``INSERT ... ON CONFLICT DO NOTHING`` (a write costs at most one extra
statement). A known id is skipped, which is how "module started" (sent with every
write) counts once and a backfill or replay adds nothing twice. Without
``KAPTRAIN_XAPI_ENDPOINT`` nothing is queued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from kaptrain.extensions import db
from kaptrain.models import (
    XAPI_DELIVERED,
    XAPI_PENDING,
    XAPI_REJECTED,
    Certificate,
    User,
    XapiStatement,
    utcnow,
)
from kaptrain.xapi import facts
from kaptrain.xapi.statements import Builder, Site, Subject


def enabled(config: Any = None) -> bool:
    """Whether statements are queued: only with an LRS endpoint set."""
    return bool(
        (config if config is not None else current_app.config).get("XAPI_ENDPOINT")
    )


def builder(
    user: User, module_id: str, module: Any, version: str, content_hash: str
) -> Builder:
    """A statement builder for this user and module on this site."""
    subject = Subject(
        user_id=user.id,
        email=user.email,
        module_id=module_id,
        module_title=getattr(module, "title", None),
        version=version,
        content_hash=content_hash,
    )
    return Builder(Site.from_config(current_app.config), subject)


def rows(
    statements: Iterable[dict[str, Any]], kind: str, user_id: int
) -> list[dict[str, Any]]:
    """Outbox rows for ``statements`` (duplicates within the batch dropped)."""
    now = utcnow()
    seen: dict[str, dict[str, Any]] = {}
    for statement in statements:
        seen.setdefault(
            statement["id"],
            {
                "id": statement["id"],
                "kind": kind,
                "user_id": user_id,
                "statement": statement,
                "status": XAPI_PENDING,
                "attempts": 0,
                "next_try_at": now,
                "last_error": "",
                "created_at": now,
            },
        )
    return list(seen.values())


def _insert_ignore_statement() -> Any:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = XapiStatement.__table__
    # RETURNING counts the rows written (psycopg's executemany rowcount is -1).
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


def queue(batch: list[dict[str, Any]]) -> int:
    """Write outbox rows with one executemany INSERT; known ids are skipped.

    One compiled statement run for every row (SQLAlchemy caches it): the generic
    multi-VALUES ``insert_ignore`` was compiled anew per write and made a
    learner write 2.6x slower on SQLite in bench/xapi.py.
    """
    if not batch:
        return 0
    return len(db.session.connection().execute(_insert_ignore_statement(), batch).all())


def event_statements(
    b: Builder,
    kind: str,
    item_id: str | None,
    outcome: dict[str, Any],
    at: dt.datetime,
    module: Any,
    certificate: Certificate | None,
) -> list[dict[str, Any]]:
    """Module started, the event's own statements, then certificate and module
    completed when the module's certificate exists."""
    own = facts.statements_for(b, kind, item_id, outcome, at, module)
    if not b.subject.module_id:  # a journal entry about no module
        return own
    statements = [facts.module_started(b, at), *own]
    if certificate is not None:
        done = certificate.completed_at or at
        statements.append(
            facts.certificate_earned(b, certificate.code, certificate.ce_hours, done)
        )
        statements.append(facts.module_completed(b, done))
    return statements


def queue_for_write(
    event: Any, user: User, module: Any, certificate: Certificate | None
) -> None:
    """The ``on_write`` hook: queue the statements of one learner write."""
    if not enabled():
        return
    version = getattr(module, "version", "") or ""
    content_hash = getattr(module, "content_hash", "") or ""
    b = builder(user, event.module_id, module, version, content_hash)
    statements = event_statements(
        b, event.kind, event.item_id, event.outcome, event.at, module, certificate
    )
    queue(rows(statements, event.kind, user.id))


@dataclass(frozen=True)
class OutboxStatus:
    """The numbers ``xapi status`` and the admin page show."""

    pending: int
    delivered: int
    rejected: int
    oldest_pending: dt.datetime | None
    #: Why statements are waiting for another try (an LRS that is down, or
    #: answers 401/403 to wrong credentials), or "" when none has failed.
    last_error: str = ""

    def oldest_age(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        if self.oldest_pending is None:
            return None
        return (now or utcnow()) - self.oldest_pending


def status() -> OutboxStatus:
    """Counts by status and the creation time of the oldest pending statement."""
    counts = dict(
        db.session.execute(
            select(XapiStatement.status, func.count()).group_by(XapiStatement.status)
        ).all()
    )
    oldest = db.session.execute(
        select(func.min(XapiStatement.created_at)).where(
            XapiStatement.status == XAPI_PENDING
        )
    ).scalar_one()
    if oldest is not None and oldest.tzinfo is None:  # SQLite's aggregate
        oldest = oldest.replace(tzinfo=dt.UTC)
    # The pending statement due furthest ahead failed most recently or most
    # often (each failure pushes next_try_at out by a doubling backoff): its
    # error is the one holding the queue up.
    last_error = db.session.execute(
        select(XapiStatement.last_error)
        .where(XapiStatement.status == XAPI_PENDING, XapiStatement.last_error != "")
        .order_by(XapiStatement.next_try_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    return OutboxStatus(
        pending=counts.get(XAPI_PENDING, 0),
        delivered=counts.get(XAPI_DELIVERED, 0),
        rejected=counts.get(XAPI_REJECTED, 0),
        oldest_pending=oldest,
        last_error=last_error or "",
    )


def rejected(limit: int = 100) -> list[XapiStatement]:
    """The statements the LRS refused, newest first, with its message."""
    return list(
        db.session.execute(
            select(XapiStatement)
            .where(XapiStatement.status == XAPI_REJECTED)
            .order_by(XapiStatement.created_at.desc(), XapiStatement.id)
            .limit(limit)
        ).scalars()
    )
