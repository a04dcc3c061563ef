"""What a certificate's Open Badges 3.0 credential says (before it is signed).

An ``OpenBadgeCredential`` (W3C Verifiable Credentials 2.0 + Open Badges context
3.0.3): the Achievement is the module (type ``CertificateOfCompletion``, its CE
hours as ``creditsAvailable``, its version), the credentialSubject is the
trainee's AchievementSubject (name, a salted SHA-256 of the e-mail address, never
the address, the hours earned as ``creditsEarned`` and the completion date), and
the issuer profile carries the provider's name, address and approval statement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kaptrain.learning.credentials.contexts import ISSUED_CONTEXT
from kaptrain.models import Certificate

# The smallest list the Bitstring Status List spec allows (16 KB): herd privacy.
STATUS_LIST_SIZE = 131_072


@dataclass(frozen=True)
class Links:
    """The absolute addresses a credential names (built by the web layer)."""

    issuer_did: str
    site_url: str
    verify_url: str
    achievement_url: str
    status_list_url: str


def iso(moment: dt.datetime) -> str:
    """An XML Schema dateTime in UTC, to the second: ``2026-12-05T08:00:00Z``."""
    return (
        moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def status_position(certificate_id: int) -> tuple[int, int]:
    """(list number, index in that list) of a certificate's revocation bit."""
    return certificate_id // STATUS_LIST_SIZE + 1, certificate_id % STATUS_LIST_SIZE


def email_identity(email: str, salt: str | None = None) -> dict[str, Any]:
    """An Open Badges IdentityObject for an e-mail address: hashed and salted as
    the spec describes (``sha256$`` + hex of SHA-256 of address + salt)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def _hours(value: Decimal) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def _issuer(cert: Certificate, links: Links) -> dict[str, Any]:
    issuer: dict[str, Any] = {
        "id": links.issuer_did,
        "type": ["Profile"],
        "name": cert.provider_name,
        "url": links.site_url,
    }
    if cert.provider_approval:
        issuer["description"] = cert.provider_approval
    return issuer


def _achievement(cert: Certificate, links: Links) -> dict[str, Any]:
    return {
        "id": links.achievement_url,
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": cert.module_title,
        "description": (
            f"Continuing education module ({cert.format}), version "
            f"{cert.module_version}, offered by {cert.provider_name}."
        ),
        "criteria": {
            "narrative": "Complete every required lesson, case and the evaluation, "
            "and pass the post-test."
        },
        "creditsAvailable": _hours(cert.ce_hours),
        "version": cert.module_version,
    }


def build_credential(
    cert: Certificate, email: str, links: Links, *, salt: str | None = None
) -> dict[str, Any]:
    """The unsigned credential for ``cert``, whose holder's address is ``email``."""
    list_number, index = status_position(cert.id)
    status_url = links.status_list_url
    return {
        "@context": list(ISSUED_CONTEXT),
        "id": links.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Certificate of completion: {cert.module_title}",
        "issuer": _issuer(cert, links),
        "validFrom": iso(cert.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": cert.trainee_name,
                    "identityType": "name",
                    "hashed": False,
                },
                email_identity(email, salt),
            ],
            "achievement": _achievement(cert, links),
            "creditsEarned": _hours(cert.ce_hours),
            "activityEndDate": iso(cert.completed_at),
        },
        "credentialStatus": {
            "id": f"{status_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_url,
        },
    }


def trainee_name(credential: dict[str, Any]) -> str:
    """The plain-text name in a credential's subject, or ''."""
    subject = credential.get("credentialSubject")
    identifiers = subject.get("identifier", []) if isinstance(subject, dict) else []
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if isinstance(identifier, dict) and identifier.get("identityType") == "name":
            return str(identifier.get("identityHash", ""))
    return ""


__all__ = ["STATUS_LIST_SIZE", "Links", "build_credential", "status_position"]
