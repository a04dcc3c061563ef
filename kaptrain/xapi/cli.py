"""``flask --app kaptrain xapi send|status|backfill``."""

from __future__ import annotations

import datetime as dt
import signal
import sys
import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

xapi_cli = AppGroup("xapi", help="Learning records as xAPI statements, sent to an LRS.")


def _config() -> Any:
    config = current_app.config
    if not config.get("XAPI_ENDPOINT"):
        click.echo(
            "xAPI is off: set KAPTRAIN_XAPI_ENDPOINT (the LRS's xAPI address, e.g. "
            "https://lrs.example.org/xAPI/) and KAPTRAIN_BASE_URL.",
            err=True,
        )
        sys.exit(2)
    return config


@xapi_cli.command("send")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def send_command(once: bool) -> None:
    """Deliver pending statements; without --once, keep running (beside gunicorn).

    With --once the exit status is 0 when everything due was delivered or marked
    rejected, 1 when some must be retried (the LRS failed or was unreachable)."""
    from kaptrain.xapi.sender import (
        backoff_seconds,
        deliver_pending,
        seconds_until_next_due,
    )

    config = _config()
    stopping: list[int] = []
    if not once:
        signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    failures = 0
    while not stopping:
        report = deliver_pending(config)
        if once or report.delivered or report.rejected or report.failed:
            click.echo(
                f"Delivered {report.delivered}, rejected {report.rejected}, "
                f"left for a retry {report.failed}."
            )
        if once:
            sys.exit(1 if report.failed else 0)
        # While the LRS fails, wait as the failed batch does, rather than
        # trying the next batch at once: a failing LRS is not hammered.
        failures = failures + 1 if report.failed else 0
        remaining = seconds_until_next_due()
        wait = 2.0 if remaining is None else min(max(remaining, 0.2), 2.0)
        if failures:
            wait = float(backoff_seconds(failures, config["XAPI_RETRY_SECONDS"]))
        _pause(wait, stopping)


def _pause(seconds: float, stopping: list[int]) -> None:
    """Sleep, but end within a fifth of a second of a SIGTERM."""
    deadline = time.monotonic() + seconds
    while not stopping and time.monotonic() < deadline:
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))


def _age(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "-"
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h {rest // 60:02d}m {rest % 60:02d}s"


@xapi_cli.command("status")
def status_command() -> None:
    """Print pending, delivered and rejected counts, the oldest pending age
    and why the latest failed try left statements pending."""
    from kaptrain.xapi.outbox import status

    current = status()
    endpoint = current_app.config.get("XAPI_ENDPOINT") or "(not set: xAPI is off)"
    click.echo(f"endpoint:  {endpoint}")
    click.echo(f"pending:   {current.pending}")
    click.echo(f"delivered: {current.delivered}")
    click.echo(f"rejected:  {current.rejected}")
    click.echo(f"oldest pending: {_age(current.oldest_age())}")
    if current.last_error:
        click.echo(f"last failed try: {current.last_error}")


@xapi_cli.command("backfill")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only records made on or after this UTC day (YYYY-MM-DD).",
)
def backfill_command(since: dt.datetime | None) -> None:
    """Queue statements for records made before xAPI was configured (running it
    again queues nothing twice)."""
    from kaptrain.xapi.backfill import backfill

    _config()
    start = since.replace(tzinfo=dt.UTC) if since is not None else None
    users, added = backfill(start)
    click.echo(f"Queued {added} new statement(s) for {users} user(s).")
