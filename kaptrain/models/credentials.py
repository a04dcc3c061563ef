"""Signed credentials: the issuer's public keys, each certificate's signed Open
Badges credential, and revocations.

Private keys never live in the database (see kaptrain.learning.credentials.keys);
public keys do, retired ones included, so credentials signed before a rotation
still verify and every host serves the same did.json.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kaptrain.extensions import db
from kaptrain.models.base import UTCDateTime, utcnow

REASON_MAX = 500


class SigningKey(db.Model):
    """An Ed25519 issuer key, by its public Multikey (``z6Mk...``)."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_key_multibase: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IssuedCredential(db.Model):
    """The signed OpenBadgeCredential of one certificate (one per certificate: the
    primary key is the certificate, so two racing first views sign once)."""

    __tablename__ = "issued_credentials"

    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True
    )
    key_multibase: Mapped[str] = mapped_column(String(64))
    # The credential's index in the revocation status list (the certificate id).
    status_index: Mapped[int] = mapped_column(Integer)
    credential_json: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertificateRevocation(db.Model):
    """A revoked certificate; un-revoking deletes the row (both are audited)."""

    __tablename__ = "certificate_revocations"

    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
