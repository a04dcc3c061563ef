"""``flask --app kaptrain mail send``: deliver the outgoing mail queue."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="The outgoing mail queue.")


@mail_cli.command("send")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def mail_send(once: bool) -> None:
    """Deliver queued mail; without --once, keep running and deliver as it comes."""
    import time

    from kaptrain.platform.mail import deliver_due, seconds_until_next_due

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    while True:
        report = deliver_due(app)
        if once:
            click.echo(f"Sent {report.sent} message(s).")
            if report.failed:
                click.echo(
                    f"{report.failed} message(s) could not be sent; they are "
                    "retried later (the log says why).",
                    err=True,
                )
                sys.exit(1)
            return
        if report.sent or report.failed:
            click.echo(f"Sent {report.sent} message(s); {report.failed} failed.")
        remaining = seconds_until_next_due()
        time.sleep(5.0 if remaining is None else min(max(remaining, 0.5), 5.0))
