"""Second factors: a TOTP secret, single-use recovery codes, and passkeys.

Every row hangs off ``users`` with ``ON DELETE CASCADE``, so deleting an account
or resetting its MFA leaves nothing behind. Recovery codes are stored only as a
SHA-256 hash (they carry 80 random bits, so a database copy cannot be turned back
into codes). The TOTP secret itself must be readable to check codes; it lives in
the database like the password hash, and backups must be kept as carefully.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow


class TotpCredential(db.Model):
    """An authenticator app's shared secret; MFA counts as enrolled once confirmed."""

    __tablename__ = "mfa_totp"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    enabled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The 30-second time step of the last code accepted: a code from that step
    #: or an earlier one is refused, so a code seen over a shoulder is worthless.
    last_step: Mapped[int | None] = mapped_column(Integer)


class RecoveryCode(db.Model):
    __tablename__ = "mfa_recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A WebAuthn credential registered by the account holder (a second method)."""

    __tablename__ = "mfa_passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: base64url of the authenticator's credential id (at most 1023 bytes).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(60))
    transports: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


__all__ = ["Passkey", "RecoveryCode", "TotpCredential"]
