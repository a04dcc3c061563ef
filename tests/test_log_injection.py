"""Log injection (CWE-117): a value from a request never starts a new log line."""

from __future__ import annotations

import logging

import pytest

FORGED = "x@example.org\n2026-12-04 12:00:00 INFO kaptrain.people.audit: login actor=1"


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_a_newline_in_the_login_email_does_not_forge_a_log_line(client, caplog):
    caplog.set_level(logging.INFO)
    client.post("/login", data={"email": FORGED, "password": "wrong-password-1"})
    messages = [m for m in _lines(caplog) if "login_failed" in m]
    assert messages, "the failed sign-in was logged"
    for message in messages:
        assert "\n" not in message and "\r" not in message
    # The value is still there, escaped, so an investigator can read it.
    assert any("\\n2026-12-04" in m for m in messages)


@pytest.mark.parametrize("control", ["\r", "\n", "\x1b[31m", "\u2028", "\u0085", "\t"])
def test_control_characters_are_escaped_in_every_kaptrain_log(app, caplog, control):
    caplog.set_level(logging.INFO)
    for name in ("kaptrain", "kaptrain.people.audit", "kaptrain.platform.headers"):
        logging.getLogger(name).info("value=%s end", f"a{control}b")
    for message in _lines(caplog):
        assert control not in message
        assert message.startswith("value=a\\") and message.endswith("b end")


def test_escaping_is_reversible_and_leaves_plain_text_alone():
    from kaptrain.platform.logsafe import escape

    assert escape("plain text, ünïcödé") == "plain text, ünïcödé"
    assert escape("a\nb") == "a\\nb"
    assert escape("back\\slash") == "back\\\\slash"
    assert escape("a\x00b") == "a\\x00b"
