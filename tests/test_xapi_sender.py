"""The xAPI sender against a stand-in LRS: delivery, 409, a 400 that must not
block the queue, 500s and an unreachable LRS retried with backoff (nothing
lost), and two senders at once delivering each statement once."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from kaptrain.extensions import db
from kaptrain.models import XapiStatement, utcnow
from kaptrain.xapi.sender import backoff_seconds, deliver_pending
from tests.support.fake_lrs import FakeLRS
from tests.support.xapi import journey, outbox, xapi_config

pytestmark = pytest.mark.content("complete-module")


@pytest.fixture
def lrs() -> Iterator[FakeLRS]:
    with FakeLRS() as fake:
        yield fake


@pytest.fixture
def app_config(lrs: FakeLRS) -> dict[str, Any]:
    return xapi_config(lrs.endpoint, XAPI_BATCH=7)


@pytest.fixture
def queued(app: Flask, client: Any, trainee: Any) -> list[Any]:
    journey(app, client, trainee)
    rows = outbox(app)
    assert len(rows) > 20
    return rows


@pytest.fixture
def admin_page(client: Any, make_user: Any, login: Any) -> Callable[[], str]:
    """Reads /admin/xapi as an admin; the first read signs the trainee out
    and an admin in (after the trainee's journey has queued statements)."""
    admins: list[Any] = []

    def read() -> str:
        if not admins:
            client.post("/logout")
            admins.append(make_user("admin"))
            login(admins[0])
        return client.get("/admin/xapi").get_data(as_text=True)

    return read


def _statuses(app: Flask) -> Counter[str]:
    return Counter(row.status for row in outbox(app))


def _make_due(app: Flask) -> None:
    """Time passes: every pending statement is due again."""
    with app.app_context():
        db.session.execute(update(XapiStatement).values(next_try_at=utcnow()))
        db.session.commit()


def test_send_once_delivers_everything(
    app: Flask, runner: Any, lrs: FakeLRS, queued: list[Any]
) -> None:
    result = runner.invoke(args=["xapi", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert f"Delivered {len(queued)}, rejected 0" in result.output
    assert _statuses(app) == Counter({"delivered": len(queued)})
    assert set(lrs.stored) == {row.id for row in queued}
    assert lrs.posts == -(-len(queued) // 7)  # batches of KAPTRAIN_XAPI_BATCH
    assert set(lrs.auth) == {"Basic a2FwdHJhaW46bHJzLXBhc3N3b3JkLTEyMw=="}
    status = runner.invoke(args=["xapi", "status"]).output
    assert f"delivered: {len(queued)}" in status and "pending:   0" in status
    # Nothing is sent twice.
    assert runner.invoke(args=["xapi", "send", "--once"]).output.startswith(
        "Delivered 0"
    )
    assert len(lrs.received) == len(queued)


def test_409_counts_as_delivered(app: Flask, lrs: FakeLRS, queued: list[Any]) -> None:
    lrs.rule = lambda statements: 409
    with app.app_context():
        report = deliver_pending(app.config)
    assert report.delivered == len(queued)
    assert _statuses(app) == Counter({"delivered": len(queued)})


def test_a_rejected_statement_is_marked_and_does_not_block(
    app: Flask, runner: Any, lrs: FakeLRS, queued: list[Any]
) -> None:
    bad = queued[3].id
    lrs.rule = lambda statements: (
        400 if any(s["id"] == bad for s in statements) else None
    )
    result = runner.invoke(args=["xapi", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert "rejected 1" in result.output
    rows = {row.id: row for row in outbox(app)}
    assert rows[bad].status == "rejected"
    assert "fake LRS says 400" in rows[bad].last_error
    assert set(lrs.stored) == {row.id for row in queued} - {bad}
    assert "rejected:  1" in runner.invoke(args=["xapi", "status"]).output


def test_500s_are_retried_with_backoff_and_nothing_is_lost(
    app: Flask, runner: Any, lrs: FakeLRS, queued: list[Any]
) -> None:
    failures = iter(range(3))
    lrs.rule = lambda statements: 500 if next(failures, None) is not None else None
    delays = []
    for _ in range(3):
        before = utcnow()
        result = runner.invoke(args=["xapi", "send", "--once"])
        assert result.exit_code == 1, result.output
        pending = [r for r in outbox(app) if r.status == "pending"]
        assert len(pending) == len(queued)
        failed = max(pending, key=lambda r: r.attempts)
        assert "HTTP 500" in failed.last_error
        delays.append((failed.next_try_at - before).total_seconds())
        _make_due(app)
    # KAPTRAIN_XAPI_RETRY_SECONDS=1, doubling (plus the time the send took).
    for delay, expected in zip(delays, (1, 2, 4), strict=True):
        assert expected <= delay < expected + 3, delays
    result = runner.invoke(args=["xapi", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert _statuses(app) == Counter({"delivered": len(queued)})
    assert sorted(lrs.received) == sorted(row.id for row in queued)


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff_seconds(n, 10) for n in (1, 2, 3)] == [10, 20, 40]
    assert backoff_seconds(30, 10) == 3600


@pytest.mark.parametrize("app_config", [xapi_config("http://127.0.0.1:9/xAPI/")])
def test_an_unreachable_lrs_keeps_everything_pending(
    app: Flask, runner: Any, queued: list[Any]
) -> None:
    result = runner.invoke(args=["xapi", "send", "--once"])
    assert result.exit_code == 1
    assert "left for a retry" in result.output
    rows = outbox(app)
    assert {r.status for r in rows} == {"pending"}
    assert any("Connection" in r.last_error or "refused" in r.last_error for r in rows)
    status = runner.invoke(args=["xapi", "status"]).output
    assert f"pending:   {len(queued)}" in status
    assert "oldest pending: 0h 00m" in status


def test_two_senders_deliver_each_statement_once(
    app: Flask, lrs: FakeLRS, queued: list[Any]
) -> None:
    def slow(statements: list[dict[str, Any]]) -> None:
        time.sleep(0.05)  # both senders are mid-batch at once
        return None

    lrs.rule = slow
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():
                deliver_pending(app.config)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Counter(lrs.received).most_common(1)[0][1] == 1
    assert sorted(lrs.received) == sorted(row.id for row in queued)
    assert _statuses(app) == Counter({"delivered": len(queued)})


def test_a_sender_that_died_mid_batch_is_retried_after_the_lease(
    app: Flask, lrs: FakeLRS, queued: list[Any]
) -> None:
    from kaptrain.xapi.sender import LEASE_SECONDS, claim

    with app.app_context():
        held = claim(5)  # then the process dies: no answer is recorded
        assert deliver_pending(app.config).delivered == len(queued) - 5
        later = utcnow() + dt.timedelta(seconds=LEASE_SECONDS + 1)
        db.session.execute(
            update(XapiStatement)
            .where(XapiStatement.status == "pending")
            .values(next_try_at=later - dt.timedelta(seconds=LEASE_SECONDS + 2))
        )
        db.session.commit()
        assert deliver_pending(app.config).delivered == 5
    assert len(held) == 5
    assert _statuses(app) == Counter({"delivered": len(queued)})


def test_admins_see_the_numbers_and_the_rejected_statements(
    runner: Any, lrs: FakeLRS, queued: list[Any], admin_page: Callable[[], str]
) -> None:
    bad = queued[0].id
    lrs.rule = lambda statements: (
        400 if any(s["id"] == bad for s in statements) else None
    )
    lrs_fail_later = queued[1:]
    assert runner.invoke(args=["xapi", "send", "--once"]).exit_code == 0
    page = admin_page()
    assert "<h1>Learning records (xAPI)</h1>" in page
    assert lrs.endpoint in page
    assert f"<dt>Delivered</dt><dd>{len(lrs_fail_later)}</dd>" in page
    assert "<dt>Rejected by the LRS</dt><dd>1</dd>" in page
    assert "<dt>Pending</dt><dd>0</dd>" in page
    assert bad in page and "fake LRS says 400" in page


def test_the_running_sender_delivers_as_statements_come_and_stops_on_sigterm(
    app: Flask, lrs: FakeLRS, queued: list[Any], tmp_path: Any
) -> None:
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPTRAIN_")}
    env.update(
        KAPTRAIN_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        KAPTRAIN_SECRET_KEY="x" * 40,
        KAPTRAIN_BASE_URL=app.config["BASE_URL"],
        KAPTRAIN_MODULES_DIR=str(app.config["MODULES_DIR"]),
        KAPTRAIN_XAPI_ENDPOINT=lrs.endpoint,
        KAPTRAIN_XAPI_USERNAME="kaptrain",
        KAPTRAIN_XAPI_PASSWORD="lrs-password-123",
        KAPTRAIN_INSTANCE_DIR=str(tmp_path / "instance"),
        KAPTRAIN_CONTENT_AUTO_RELOAD="false",
    )
    flask = Path(sys.executable).parent / "flask"
    sender = subprocess.Popen(
        [str(flask), "--app", "kaptrain", "xapi", "send"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while len(lrs.stored) < len(queued) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert set(lrs.stored) == {row.id for row in queued}
        sender.send_signal(signal.SIGTERM)
        assert sender.wait(10) == 0
    finally:
        if sender.poll() is None:
            sender.kill()
            sender.wait()
    assert _statuses(app) == Counter({"delivered": len(queued)})


def test_admins_and_status_say_why_statements_stay_pending(
    app: Flask,
    runner: Any,
    lrs: FakeLRS,
    queued: list[Any],
    admin_page: Callable[[], str],
) -> None:
    lrs.rule = lambda statements: 401
    assert runner.invoke(args=["xapi", "send", "--once"]).exit_code == 1
    assert {r.status for r in outbox(app)} == {"pending"}
    status = runner.invoke(args=["xapi", "status"]).output
    assert "last failed try: " in status and "401" in status
    page = admin_page()
    assert "The latest try left statements pending" in page and "401" in page
    assert "KAPTRAIN_XAPI_PASSWORD" in page

    lrs.rule = lambda statements: None
    _make_due(app)
    assert runner.invoke(args=["xapi", "send", "--once"]).exit_code == 0
    assert "last failed try" not in runner.invoke(args=["xapi", "status"]).output
    page = admin_page()
    assert "The latest try left statements pending" not in page
