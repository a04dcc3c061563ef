"""How a message leaves: SMTP (``KAPTRAIN_SMTP_URL``) or a development file."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

SMTP_TIMEOUT = 20


class Transport(Protocol):
    def send(self, message: EmailMessage, outbox_id: int) -> None: ...


@dataclass(frozen=True)
class SMTPSettings:
    """``smtp://user:pass@host:587`` (STARTTLS when offered) or ``smtps://`` (TLS)."""

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SMTPSettings:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in {"smtp", "smtps"}:
            raise ValueError("the URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise ValueError("the URL names no host")
        try:
            port = parts.port or (465 if scheme == "smtps" else 587)
        except ValueError:
            raise ValueError("the port is not a number between 0 and 65535") from None
        return cls(
            scheme=scheme,
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


class SMTPTransport:
    def __init__(self, settings: SMTPSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        s = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.scheme == "smtps":
            client = smtplib.SMTP_SSL(
                s.host, s.port, timeout=SMTP_TIMEOUT, context=context
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT)
        with client:
            client.ehlo()
            if s.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif s.scheme == "smtp" and s.username and not s.loopback:
                raise smtplib.SMTPNotSupportedError(
                    f"{s.host} does not offer STARTTLS; refusing to send the "
                    "password unencrypted (use smtps:// or a server with STARTTLS)"
                )
            if s.username:
                client.login(s.username, s.password or "")
            client.send_message(message)


class FileTransport:
    """Development without SMTP: each message becomes ``<dir>/<time>-<id>.eml``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage, outbox_id: int) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"{stamp}-{outbox_id:06d}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(message))


def transport_for(config: Any) -> Transport:
    url = config.get("SMTP_URL")
    if url:
        return SMTPTransport(SMTPSettings.from_url(url))
    return FileTransport(Path(config["MAIL_DIR"]))
