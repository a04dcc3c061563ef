"""Signing a certificate's credential (once), revoking and reinstating it, and
the signed Bitstring Status List that publishes revocations.

A certificate's credential is signed on first need (its page, its JSON, its PDF
or its verify page). The ``issued_credentials`` primary key is the certificate,
and the insert skips a conflict, so two racing first views sign at most twice
and keep one; every later view reads the stored JSON.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select

from kaptrain.extensions import db
from kaptrain.learning.credentials import keys
from kaptrain.learning.credentials.build import (
    STATUS_LIST_SIZE,
    Links,
    build_credential,
    iso,
)
from kaptrain.learning.credentials.proofs import sign
from kaptrain.models import (
    Certificate,
    CertificateRevocation,
    IssuedCredential,
    User,
    utcnow,
)
from kaptrain.people import audit
from kaptrain.platform.database import insert_ignore
from kaptrain.platform.mail import send_template


def stored_credential(certificate_id: int) -> dict[str, Any] | None:
    """The signed credential of a certificate, if it was signed."""
    row = db.session.get(IssuedCredential, certificate_id)
    return json.loads(row.credential_json) if row is not None else None


def ensure_credential(
    cert: Certificate, links_for: Callable[[Certificate], Links]
) -> dict[str, Any]:
    """The certificate's signed credential, signing it now if it has none.

    Raises :class:`keys.KeyProblem` when the site has no usable signing key.
    Commits (the signed credential is the issuer's record, not a learner write).
    """
    existing = stored_credential(cert.id)
    if existing is not None:
        return existing
    private_key, multibase = keys.current_key()
    links = links_for(cert)
    owner = db.session.get(User, cert.user_id)
    document = build_credential(cert, owner.email if owner else "", links)
    method = f"{links.issuer_did}#{multibase}"
    signed = sign(document, private_key, method, iso(utcnow()))
    insert_ignore(
        IssuedCredential,
        {
            "certificate_id": cert.id,
            "key_multibase": multibase,
            "status_index": cert.id,
            "credential_json": json.dumps(signed, ensure_ascii=False, indent=2),
            "signed_at": utcnow(),
        },
    )
    db.session.commit()
    # The stored row, which is another request's if it won the race.
    return stored_credential(cert.id) or signed


def revocation(certificate_id: int) -> CertificateRevocation | None:
    return db.session.get(CertificateRevocation, certificate_id)


def revoke(cert: Certificate, reason: str, actor: User) -> bool:
    """Revoke a certificate (audited; the trainee is told by e-mail).

    False if it was already revoked (a double submission changes nothing)."""
    reason = " ".join(reason.split())[:500]
    inserted = insert_ignore(
        CertificateRevocation,
        {
            "certificate_id": cert.id,
            "reason": reason,
            "revoked_at": utcnow(),
            "revoked_by_id": actor.id,
        },
    )
    if not inserted:
        db.session.rollback()
        return False
    _record_and_tell(cert, actor, "certificate_revoked", reason)
    db.session.commit()
    return True


def reinstate(cert: Certificate, actor: User, note: str = "") -> bool:
    """Undo a revocation (audited; the trainee is told). False if not revoked."""
    result = db.session.execute(
        delete(CertificateRevocation).where(
            CertificateRevocation.certificate_id == cert.id
        )
    )
    if not result.rowcount:
        db.session.rollback()
        return False
    _record_and_tell(cert, actor, "certificate_reinstated", " ".join(note.split()))
    db.session.commit()
    return True


def _record_and_tell(cert: Certificate, actor: User, action: str, text: str) -> None:
    owner = db.session.get(User, cert.user_id)
    audit.record(
        action,
        actor=actor,
        subject=owner,
        subject_label=cert.code,
        detail=f"{cert.code} ({cert.module_title}): {text}"[:500],
    )
    if owner is not None:
        revoked = action == "certificate_revoked"
        send_template(
            owner.email,
            "Your certificate was revoked"
            if revoked
            else "Your certificate is valid again",
            "certificate_status",
            name=owner.name,
            cert=cert,
            revoked=revoked,
            reason=text,
        )


def revoked_indexes(list_number: int) -> list[int]:
    """Indexes set in status list ``list_number`` (certificate ids, offset)."""
    start = (list_number - 1) * STATUS_LIST_SIZE
    ids = db.session.execute(
        select(CertificateRevocation.certificate_id).where(
            CertificateRevocation.certificate_id >= start,
            CertificateRevocation.certificate_id < start + STATUS_LIST_SIZE,
        )
    ).scalars()
    return sorted(cert_id - start for cert_id in ids)


def encode_bitstring(indexes: list[int], size: int = STATUS_LIST_SIZE) -> str:
    """The spec's ``encodedList``: bits (index 0 = the first byte's highest bit),
    GZIP-compressed, base64url without padding, multibase prefix ``u``."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_bitstring(encoded: str) -> bytes:
    """Inverse of :func:`encode_bitstring` (ValueError for anything else)."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix u)")
    body = encoded[1:] + "=" * (-len(encoded[1:]) % 4)
    return gzip.decompress(base64.urlsafe_b64decode(body))


_status_cache: dict[tuple[str, int, tuple[int, ...], str], dict[str, Any]] = {}


def status_list_credential(
    list_number: int, url: str, issuer_did: str
) -> dict[str, Any]:
    """The signed BitstringStatusListCredential for one list (revocations).

    Re-signed only when its revoked set, key or address changes (kept per process).
    """
    private_key, multibase = keys.current_key()
    indexes = revoked_indexes(list_number)
    cache_key = (url, list_number, tuple(indexes), multibase)
    cached = _status_cache.get(cache_key)
    if cached is not None:
        return cached
    now = iso(utcnow())
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": now,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(indexes),
        },
    }
    signed = sign(document, private_key, f"{issuer_did}#{multibase}", now)
    _status_cache.clear()
    _status_cache[cache_key] = signed
    return signed
