"""A real SMTP server on loopback (aiosmtpd) that tests read delivered mail from.

``SMTPServer`` runs for the whole test session; the ``mailbox`` fixture points the
app at it and hands the test a :class:`Mailbox`: a list of the
``email.message.EmailMessage`` objects received during that test.
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox(list[EmailMessage]):
    """Messages received during one test, oldest first."""

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages have arrived; return them all."""
        deadline = time.monotonic() + timeout
        while len(self) < count:
            if time.monotonic() > deadline:
                subjects = [m["Subject"] for m in self]
                raise AssertionError(
                    f"expected {count} message(s) within {timeout} s, "
                    f"got {len(self)}: {subjects}"
                )
            time.sleep(0.02)
        return list(self)

    def wait_for_subject(
        self, words: str, count: int = 1, timeout: float = 10.0
    ) -> EmailMessage:
        """Wait for the ``count``-th message whose subject holds ``words``."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [m for m in self if words in str(m["Subject"])]
            if len(matching) >= count:
                return matching[count - 1]
            if time.monotonic() > deadline:
                subjects = [m["Subject"] for m in self]
                raise AssertionError(
                    f"no message #{count} with {words!r} in its subject within "
                    f"{timeout} s; got {subjects}"
                )
            time.sleep(0.02)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to ``address`` (case-insensitive)."""
        return [m for m in self if m["To"].lower() == address.lower()]

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text body of ``message``, with line ends as ``\\n``."""
        part = message.get_body(("plain",))
        assert part is not None, "no text/plain part"
        return part.get_content().replace("\r\n", "\n")


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.server.refuse_next > 0:
            self.server.refuse_next -= 1
            return "451 4.3.0 Try again later (test refusal)"
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        sink = self.server.sink
        if sink is not None:
            sink.append(message)  # type: ignore[arg-type]
        return "250 OK"


class SMTPServer:
    """aiosmtpd on 127.0.0.1 at a free port; ``sink`` receives what arrives."""

    def __init__(self) -> None:
        self.sink: Mailbox | None = None
        self.refuse_next = 0
        self._new_port()

    def _new_port(self) -> None:
        self.port = _free_port()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        # aiosmtpd logs every line it receives at DEBUG ("mail.log"): the test
        # server's transcript is not the app's log, and would hold reset links.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        # The port was free when chosen; in a parallel run (pytest-xdist) another
        # process may take it before we bind, so try a few fresh ones.
        for attempt in range(5):
            try:
                self.controller.start()
                return
            except (OSError, RuntimeError):
                if attempt == 4:
                    raise
                self._new_port()

    def stop(self) -> None:
        self.controller.stop()

    def refuse(self, count: int) -> None:
        """Answer the next ``count`` messages with a temporary failure (451)."""
        self.refuse_next = count


def mail_in_folder(
    folder: Path, to: str, subject_words: str, timeout: float = 15.0
) -> EmailMessage:
    """The newest development mail (an .eml file in ``folder``) to ``to`` whose
    subject holds ``subject_words``, waiting for it to be written."""
    deadline = time.monotonic() + timeout
    while True:
        for path in sorted(folder.glob("*.eml"), reverse=True):
            message = email.message_from_bytes(
                path.read_bytes(), policy=email.policy.default
            )
            if str(message["To"]).lower() == to.lower() and subject_words in str(
                message["Subject"]
            ):
                return message  # type: ignore[return-value]
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail to {to} about {subject_words!r} in {folder}")
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
