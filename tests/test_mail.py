"""Outgoing mail: the outbox, delivery after commit, retries, dev files, the CLI."""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import OutboxMessage
from kaptrain.platform.config import load_config
from kaptrain.platform.mail import (
    SMTPSettings,
    backoff_seconds,
    deliver_due,
    is_mail_address,
    send_mail,
    stop_delivery,
)
from kaptrain.platform.setting_values import ConfigError


def _rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        result = list(rows)
        db.session.expunge_all()
        return result


def _wait(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_mail_arrives_after_commit(app: Flask, mailbox: Any) -> None:
    with app.app_context():
        send_mail("ada@example.org", "Hello", "First line.\nSecond line.")
        db.session.commit()
    (message,) = mailbox.wait_for(1)
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "Hello"
    assert "no-reply@localhost" in message["From"]
    assert message["Message-ID"]
    assert mailbox.text(message).strip() == "First line.\nSecond line."
    _wait(lambda: _rows(app)[0].sent_at is not None)
    (row,) = _rows(app)
    assert row.attempts == 1
    assert row.body == ""  # a sent body (it may hold a one-time link) is not kept
    assert row.next_attempt_at is None


def test_rolled_back_mail_is_never_sent(app: Flask, mailbox: Any) -> None:
    with app.app_context():
        send_mail("gone@example.org", "Rolled back", "nothing")
        db.session.rollback()
        send_mail("kept@example.org", "Committed", "something")
        db.session.commit()
    mailbox.wait_for(1)
    stop_delivery(app)
    assert [m["To"] for m in mailbox] == ["kept@example.org"]
    assert [r.recipient for r in _rows(app)] == ["kept@example.org"]


def test_line_breaks_in_a_subject_cannot_add_headers(app: Flask, mailbox: Any) -> None:
    with app.app_context():
        send_mail("ada@example.org", "Hi\r\nBcc: eve@example.org", "body")
        db.session.commit()
    (message,) = mailbox.wait_for(1)
    assert message["Bcc"] is None
    assert message["Subject"] == "Hi Bcc: eve@example.org"


@pytest.mark.parametrize(
    "address",
    ["", "two@a.org, b@b.org", "a,b@x.org", "no-at-sign", "a@b.org\nBcc: c@d.org"],
)
def test_send_mail_queues_nothing_for_anything_but_one_address(
    app: Flask, address: str, caplog: pytest.LogCaptureFixture
) -> None:
    with app.app_context():
        send_mail(address, "s", "b")  # never raises: the caller's request goes on
        db.session.commit()
    assert _rows(app) == []
    assert "not a single usable address" in caplog.text
    assert not is_mail_address(address)


def _mail_route(app: Flask) -> None:
    def queue() -> str:
        send_mail("ada@example.org", "From a request", "body")
        db.session.commit()
        return "queued"

    app.add_url_rule("/_test/mail", "test_mail", queue, methods=["POST"])


def test_a_refused_send_is_retried_and_the_request_succeeds(
    app: Flask, client: Any, mailbox: Any, smtp_server: Any
) -> None:
    app.config["MAIL_RETRY_SECONDS"] = 1
    _mail_route(app)
    smtp_server.refuse(1)
    response = client.post("/_test/mail")
    assert response.status_code == 200
    (message,) = mailbox.wait_for(1, timeout=15)
    assert message["Subject"] == "From a request"
    _wait(lambda: _rows(app)[0].sent_at is not None)
    (row,) = _rows(app)
    assert row.attempts == 2
    assert row.last_error == ""


def test_an_unreachable_server_never_blocks_or_fails_the_request(
    app: Flask, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.mail import _free_port

    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{_free_port()}"  # nobody listens
    _mail_route(app)
    started = time.monotonic()
    response = client.post("/_test/mail")
    assert response.status_code == 200
    assert time.monotonic() - started < 2
    _wait(lambda: _rows(app)[0].last_error != "")
    stop_delivery(app)
    (row,) = _rows(app)
    assert row.sent_at is None
    assert row.attempts >= 1
    assert row.next_attempt_at is not None  # scheduled for a retry
    assert "ConnectionRefusedError" in row.last_error
    assert any("not sent (attempt 1)" in r.getMessage() for r in caplog.records)


def test_gives_up_after_the_last_attempt(app: Flask, smtp_server: Any) -> None:
    app.config.update(SMTP_URL=smtp_server.url, MAIL_MAX_ATTEMPTS=1)
    smtp_server.refuse(1)
    with app.app_context():
        db.session.add(OutboxMessage(recipient="a@example.org", subject="s", body="b"))
        db.session.commit()
        report = deliver_due(app)
    assert (report.sent, report.failed) == (0, 1)
    (row,) = _rows(app)
    assert row.next_attempt_at is None and row.sent_at is None
    assert "451" in row.last_error


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n, 60) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff_seconds(30, 60) == 6 * 60 * 60


def test_development_mail_is_written_to_files(app: Flask) -> None:
    mail_dir = Path(app.config["MAIL_DIR"])
    assert app.config["SMTP_URL"] is None
    with app.app_context():
        send_mail("ada@example.org", "Written down", "Read me in a file.")
        db.session.commit()
    _wait(lambda: mail_dir.exists() and any(mail_dir.glob("*.eml")))
    (path,) = mail_dir.glob("*.eml")
    content = path.read_text(encoding="utf-8")
    assert "Subject: Written down" in content
    assert "Read me in a file." in content
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(mail_dir.stat().st_mode) == 0o700


def test_cli_mail_send_once_drains_the_outbox(
    app: Flask, runner: Any, mailbox: Any
) -> None:
    with app.app_context():
        # Added directly, as if queued by a process that died before delivering.
        for n in range(3):
            db.session.add(
                OutboxMessage(recipient=f"p{n}@example.org", subject=f"m{n}", body="b")
            )
        db.session.commit()
    result = runner.invoke(args=["mail", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert "Sent 3" in result.output
    assert sorted(m["Subject"] for m in mailbox.wait_for(3)) == ["m0", "m1", "m2"]


def test_two_deliverers_never_send_a_message_twice(app: Flask, mailbox: Any) -> None:
    with app.app_context():
        for n in range(20):
            db.session.add(
                OutboxMessage(recipient=f"p{n}@example.org", subject=f"m{n}", body="b")
            )
        db.session.commit()

    def drain() -> None:
        with app.app_context():
            deliver_due(app)
            db.session.remove()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.3)
    assert sorted(m["Subject"] for m in mailbox) == sorted(f"m{n}" for n in range(20))


def test_future_retries_are_not_sent_early(app: Flask, mailbox: Any) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with app.app_context():
        db.session.add(
            OutboxMessage(
                recipient="a@example.org", subject="s", body="b", next_attempt_at=later
            )
        )
        db.session.commit()
        assert deliver_due(app).sent == 0
    assert mailbox == []


def test_smtp_url_forms() -> None:
    plain = SMTPSettings.from_url("smtp://127.0.0.1:1025")
    assert (plain.scheme, plain.host, plain.port, plain.username) == (
        "smtp",
        "127.0.0.1",
        1025,
        None,
    )
    assert plain.loopback
    starttls = SMTPSettings.from_url("smtp://us%40er:p%3Ass@mail.example.org")
    assert (starttls.port, starttls.username, starttls.password) == (
        587,
        "us@er",
        "p:ss",
    )
    assert not starttls.loopback
    assert SMTPSettings.from_url("smtps://mail.example.org").port == 465


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("KAPTRAIN_SMTP_URL", "http://mail.example.org", "smtp://"),
        ("KAPTRAIN_SMTP_URL", "smtp://", "names no host"),
        ("KAPTRAIN_SMTP_URL", "smtp://host:99999", "port"),
        ("KAPTRAIN_MAIL_FROM", "not an address", "KAPTRAIN_MAIL_FROM"),
    ],
)
def test_bad_mail_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variable: str,
    value: str,
    words: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path, {"SECRET_KEY": "x" * 40})
    assert variable in str(error.value)
    assert words in str(error.value)


def test_mail_settings_are_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KAPTRAIN_SMTP_URL", "smtps://u:p@mail.example.org")
    monkeypatch.setenv("KAPTRAIN_MAIL_FROM", "Training <train@example.org>")
    config = load_config(tmp_path, {"SECRET_KEY": "x" * 40})
    assert config["SMTP_URL"] == "smtps://u:p@mail.example.org"
    assert config["MAIL_FROM"] == "Training <train@example.org>"
    assert config["MAIL_DIR"] == tmp_path / "mail"
    assert os.fspath(config["MAIL_DIR"]).endswith("mail")


def test_cli_mail_send_once_exits_1_when_a_send_fails(
    app: Flask, runner: Any, smtp_server: Any
) -> None:
    app.config["SMTP_URL"] = smtp_server.url
    smtp_server.refuse(1)
    with app.app_context():
        db.session.add(OutboxMessage(recipient="a@example.org", subject="s", body="b"))
        db.session.commit()
    result = runner.invoke(args=["mail", "send", "--once"])
    assert result.exit_code == 1
    assert "could not be sent; they are retried later" in result.output
    (row,) = _rows(app)
    assert row.sent_at is None and row.next_attempt_at is not None
