"""One-time codes for two-step sign-in: TOTP (RFC 6238) and recovery codes.

The pieces :mod:`kaptrain.people.mfa` builds sign-in step two from: a new
authenticator key and its QR code, matching a 6-digit code within the clock
drift, claiming its time step once (so a code cannot be replayed), and the ten
single-use recovery codes, stored as SHA-256 hashes. Callers commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, select, update

from kaptrain.extensions import db
from kaptrain.models import RecoveryCode, TotpCredential, utcnow

ISSUER = "kaptrain"
RECOVERY_CODES = 10
# 16 characters from a 32-letter alphabet: 80 random bits, so a plain SHA-256 is
# enough to keep a database copy from yielding usable codes.
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RECOVERY_LENGTH = 16
# A code from the previous or the next 30-second step is accepted (clock drift).
DRIFT_STEPS = 1


# ------------------------------------------------------------------------- TOTP


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The enrolment QR code as inline SVG (no script, no image request)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        title="QR code to scan",
        svgclass="qr",
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno's own output, no user text


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def clean_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def matching_step(secret: str, code: str, now: dt.datetime | None = None) -> int | None:
    """The time step whose TOTP equals ``code`` (within the drift), or None."""
    code = clean_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now or utcnow())
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def claim_step(user_id: int, step: int) -> bool:
    """Record ``step`` as used, only if it is newer than the last one: a conditional
    UPDATE, so two racing submissions of one code let exactly one through."""
    result = db.session.execute(
        update(TotpCredential)
        .where(
            TotpCredential.user_id == user_id,
            (TotpCredential.last_step.is_(None)) | (TotpCredential.last_step < step),
        )
        .values(last_step=step)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


# ---------------------------------------------------------------- recovery codes


def code_hash(code: str) -> str:
    return hashlib.sha256(clean_code(code).encode()).hexdigest()


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4))


def replace_recovery_codes(user_id: int) -> list[str]:
    """Ten new codes (returned once, in clear); the old ones stop working."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(
        RecoveryCode(user_id=user_id, code_hash=code_hash(code)) for code in codes
    )
    return codes


def recovery_codes_left(user_id: int) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def use_recovery_code(user_id: int, code: str) -> bool:
    cleaned = clean_code(code)
    if len(cleaned) != RECOVERY_LENGTH:
        return False
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
