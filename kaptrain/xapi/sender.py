"""Deliver pending statements to the LRS: batches, retries, exponential backoff.

A pass claims up to ``KAPTRAIN_XAPI_BATCH`` due statements, POSTs them as one
array to ``{endpoint}statements`` (HTTP Basic) and reads the answer:

* 200, 204, and 409 (the LRS knows these ids already): delivered;
* 400, 413, 422 (the LRS refuses the content): a batch is split and sent one
  statement at a time to find the bad one, which is marked ``rejected`` with the
  LRS's message; the others are delivered, so one bad statement never blocks the
  queue;
* anything else (5xx, 401/403/404/429, timeouts, refused connections): the whole
  batch is retried after ``KAPTRAIN_XAPI_RETRY_SECONDS`` x 2^(attempts-1) (at most
  an hour), and the pass stops: an LRS that is down is not hammered.

Claiming: ``SELECT ... FOR UPDATE SKIP LOCKED`` picks the due rows and an
``UPDATE`` in the same transaction moves their ``next_try_at`` into the future
(a lease of ``LEASE_SECONDS``), committed before any HTTP. On PostgreSQL two
senders (two hosts) skip each other's locked rows and never claim the same
statement; one that dies mid-send leaves
its batch to be retried when the lease ends (the LRS then answers 204/409 for
anything it had already stored). SQLite has no row locks and ignores
``FOR UPDATE``: it lets one writer at a time run the UPDATE, whose conditions
(still pending, due now) make a second sender find nothing to claim.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from kaptrain.extensions import db
from kaptrain.models import (
    XAPI_DELIVERED,
    XAPI_PENDING,
    XAPI_REJECTED,
    XapiStatement,
    utcnow,
)

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
MAX_BACKOFF_SECONDS = 3600
DELIVERED_CODES = {200, 204, 409}
REJECTED_CODES = {400, 413, 422}


@dataclass
class SendReport:
    """What one run of the sender did."""

    delivered: int = 0
    rejected: int = 0
    failed: int = 0  # statements left pending for a retry

    def add(self, other: SendReport) -> None:
        self.delivered += other.delivered
        self.rejected += other.rejected
        self.failed += other.failed


@dataclass(frozen=True)
class Answer:
    """The LRS's answer: an HTTP status (0 = no answer) and its message."""

    status: int
    message: str


def post_statements(config: Any, statements: list[dict[str, Any]]) -> Answer:
    """POST ``statements`` as one JSON array; never raises for network trouble."""
    body = json.dumps(statements, separators=(",", ":")).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is a validated setting
        f"{config['XAPI_ENDPOINT']}statements", data=body, method="POST"
    )
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Experience-API-Version", "1.0.3")
    if config.get("XAPI_USERNAME"):
        pair = f"{config['XAPI_USERNAME']}:{config['XAPI_PASSWORD']}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    try:
        with urllib.request.urlopen(request, timeout=config["XAPI_TIMEOUT"]) as reply:  # noqa: S310
            return Answer(reply.status, "")
    except urllib.error.HTTPError as error:
        text = error.read(2000).decode("utf-8", "replace")
        return Answer(error.code, f"HTTP {error.code}: {text}"[:1000])
    except (OSError, ValueError) as error:  # refused, reset, timeout, bad URL
        return Answer(0, f"{type(error).__name__}: {error}"[:1000])


def backoff_seconds(attempts: int, base: int) -> int:
    """Seconds before the next try after ``attempts`` failures: base, 2x, 4x, ..."""
    return int(min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def claim(limit: int) -> list[tuple[str, dict[str, Any], int]]:
    """Lease up to ``limit`` due statements to this sender; commits the claim."""
    now = utcnow()
    due = (
        select(XapiStatement.id)
        .where(XapiStatement.status == XAPI_PENDING, XapiStatement.next_try_at <= now)
        .order_by(XapiStatement.created_at, XapiStatement.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # Two statements, one transaction: PostgreSQL may re-run a LIMIT subquery
    # inside UPDATE ... WHERE id IN (...) and claim more rows than asked.
    ids = list(db.session.execute(due).scalars())
    claimed = (
        db.session.execute(
            update(XapiStatement)
            .where(
                XapiStatement.id.in_(ids),
                XapiStatement.status == XAPI_PENDING,
                XapiStatement.next_try_at <= now,
            )
            .values(
                next_try_at=now + dt.timedelta(seconds=LEASE_SECONDS),
                attempts=XapiStatement.attempts + 1,
            )
            .returning(
                XapiStatement.id, XapiStatement.statement, XapiStatement.attempts
            )
            .execution_options(synchronize_session=False)
        ).all()
        if ids
        else []
    )
    db.session.commit()
    # Keep the queue's order: RETURNING gives no order guarantee.
    rows = sorted(claimed, key=lambda row: (row.statement.get("timestamp", ""), row.id))
    return [(row.id, row.statement, row.attempts) for row in rows]


def _mark(ids: list[str], **values: Any) -> None:
    db.session.execute(
        update(XapiStatement)
        .where(XapiStatement.id.in_(ids), XapiStatement.status == XAPI_PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _retry_later(
    config: Any, batch: list[tuple[str, dict[str, Any], int]], answer: Answer
) -> None:
    delay = backoff_seconds(
        max(attempts for _i, _s, attempts in batch), config["XAPI_RETRY_SECONDS"]
    )
    _mark(
        [statement_id for statement_id, _s, _a in batch],
        next_try_at=utcnow() + dt.timedelta(seconds=delay),
        last_error=answer.message or f"HTTP {answer.status}",
    )
    log.warning(
        "xapi: %d statement(s) not delivered, retry in %ds: %s",
        len(batch),
        delay,
        answer.message or answer.status,
    )


def send(config: Any, batch: list[tuple[str, dict[str, Any], int]]) -> SendReport:
    """Send a claimed batch; split it on a rejection to isolate the bad ones."""
    report = SendReport()
    answer = post_statements(config, [statement for _i, statement, _a in batch])
    ids = [statement_id for statement_id, _s, _a in batch]
    if answer.status in DELIVERED_CODES:
        _mark(ids, status=XAPI_DELIVERED, delivered_at=utcnow(), last_error="")
        report.delivered += len(ids)
    elif answer.status in REJECTED_CODES and len(batch) > 1:
        for position, one in enumerate(batch):
            part = send(config, [one])
            report.add(part)
            rest = batch[position + 1 :]
            if part.failed and rest:  # the LRS went away mid-split: the rest waits
                _retry_later(config, rest, Answer(0, "not sent: the LRS failed"))
                report.failed += len(rest)
                break
    elif answer.status in REJECTED_CODES:
        _mark(ids, status=XAPI_REJECTED, last_error=answer.message)
        report.rejected += 1
        log.error("xapi: statement %s rejected by the LRS: %s", ids[0], answer.message)
    else:
        _retry_later(config, batch, answer)
        report.failed += len(batch)
    return report


def deliver_pending(config: Any) -> SendReport:
    """Send every due statement, batch after batch, until none is left or the
    LRS fails (what failed is retried by a later run)."""
    total = SendReport()
    while True:
        batch = claim(config["XAPI_BATCH"])
        if not batch:
            return total
        report = send(config, batch)
        total.add(report)
        if report.failed:
            return total


def seconds_until_next_due() -> float | None:
    """Seconds until the earliest pending statement is due (None: nothing pending)."""
    earliest = db.session.execute(
        select(XapiStatement.next_try_at)
        .where(XapiStatement.status == XAPI_PENDING)
        .order_by(XapiStatement.next_try_at)
        .limit(1)
    ).scalar_one_or_none()
    db.session.commit()
    if earliest is None:
        return None
    return (earliest - utcnow()).total_seconds()
