"""Verifying a credential: the signature, the issuer key, the revocation status,
and, when the signature fails, which part of a credential issued here changed.

Everything runs offline: contexts come from the package, keys and revocations from
the database. Used by the public verify pages and ``flask credential verify``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from kaptrain.extensions import db
from kaptrain.learning.certificates import certificate_by_code
from kaptrain.learning.credentials import issuance, keys
from kaptrain.learning.credentials.build import STATUS_LIST_SIZE, trainee_name
from kaptrain.learning.credentials.contexts import UnknownContext
from kaptrain.learning.credentials.proofs import (
    CanonicalizationError,
    public_key_from_multibase,
    signature_matches,
)
from kaptrain.models import Certificate

VALID = "valid"
TAMPERED = "tampered"
REVOKED = "revoked"
UNKNOWN_KEY = "unknown_key"
NOT_JSON = "not_json"
NOT_CREDENTIAL = "not_credential"

CODE_IN_ID = re.compile(r"/verify/(KT(?:-[A-HJ-NP-Z2-9]{4}){3})$")

# JSON paths (dotted, list indexes dropped) -> what a person calls them.
_LABELS = (
    ("credentialSubject.identifier.identityHash", "the trainee's name or e-mail"),
    ("credentialSubject.identifier", "the trainee's identity"),
    ("credentialSubject.creditsEarned", "the CE hours"),
    ("credentialSubject.achievement.creditsAvailable", "the CE hours"),
    ("credentialSubject.activityEndDate", "the completion date"),
    ("validFrom", "the issue date"),
    ("credentialSubject.achievement.name", "the module title"),
    ("credentialSubject.achievement.version", "the module version"),
    ("credentialSubject.achievement", "the module described"),
    ("issuer", "the issuer (provider)"),
    ("credentialStatus", "the revocation status entry"),
    ("proof", "the signature (proof)"),
    ("name", "the credential's title"),
)


@dataclass
class Outcome:
    """The verdict, a sentence for people, and what is known about the credential."""

    status: str
    message: str
    changes: list[str] = field(default_factory=list)
    certificate: Certificate | None = None
    reason: str = ""
    key_retired: bool = False
    name: str = ""

    @property
    def ok(self) -> bool:
        return self.status == VALID


def _label(path: str) -> str:
    plain = re.sub(r"\.\d+", "", path)
    for prefix, label in _LABELS:
        if plain == prefix or plain.startswith(prefix + "."):
            return label
    return f"the field {path}"


def differences(submitted: Any, original: Any, path: str = "") -> list[str]:
    """Dotted paths where ``submitted`` differs from ``original``."""
    if isinstance(submitted, dict) and isinstance(original, dict):
        found: list[str] = []
        for key in sorted(set(submitted) | set(original), key=str):
            sub = f"{path}.{key}" if path else str(key)
            found += differences(submitted.get(key), original.get(key), sub)
        return found
    if isinstance(submitted, list) and isinstance(original, list):
        if len(submitted) != len(original):
            return [path]
        found = []
        for index, (left, right) in enumerate(zip(submitted, original, strict=True)):
            found += differences(left, right, f"{path}.{index}")
        return found
    return [] if submitted == original else [path]


def _certificate_of(document: dict[str, Any]) -> Certificate | None:
    """The certificate a credential claims to be, from its status entry or id."""
    status = document.get("credentialStatus")
    if isinstance(status, dict):
        url = str(status.get("statusListCredential", ""))
        match = re.search(r"/credentials/status/(\d{1,6})$", url)
        try:
            index = int(str(status.get("statusListIndex", "")))
        except ValueError:
            index = -1
        if match and 0 <= index < STATUS_LIST_SIZE:
            cert_id = (int(match.group(1)) - 1) * STATUS_LIST_SIZE + index
            cert = db.session.get(Certificate, cert_id)
            if cert is not None:
                return cert
    match = CODE_IN_ID.search(str(document.get("id", "")))
    if match:
        return certificate_by_code(match.group(1))
    return None


def _key_of(document: dict[str, Any]) -> tuple[str, Any]:
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    if not isinstance(method, str) or "#" not in method:
        return "", None
    multibase = method.rsplit("#", 1)[1]
    return multibase, keys.known_key(multibase)


def _tampered(document: dict[str, Any], cert: Certificate | None) -> Outcome:
    original = issuance.stored_credential(cert.id) if cert is not None else None
    changes: list[str] = []
    if original is not None:
        for path in differences(document, original):
            label = _label(path)
            if label not in changes:
                changes.append(label)
    message = (
        "This credential was changed after it was signed: "
        + ", ".join(changes)
        + ". Do not rely on it; ask the holder for the original."
        if changes
        else "This credential's signature does not match its content: something "
        "in it was changed after it was signed. Do not rely on it."
    )
    return Outcome(TAMPERED, message, changes, cert)


#: Canonicalisation cost grows with blank nodes; a kaptrain credential has about
#: 15 objects. Anything far larger is refused before pyld sees it.
MAX_OBJECTS = 200
MAX_DEPTH = 16
MAX_TEXT = 64 * 1024


def _too_big(value: Any, depth: int = 0, budget: list[int] | None = None) -> bool:
    budget = budget if budget is not None else [MAX_OBJECTS]
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, dict | list):
        budget[0] -= 1
        if budget[0] < 0:
            return True
        items = value.values() if isinstance(value, dict) else value
        return any(_too_big(item, depth + 1, budget) for item in items)
    return False


def verify_document(document: Any) -> Outcome:
    """Verify a parsed credential: valid, tampered, revoked or unknown key."""
    if _too_big(document):
        return Outcome(
            NOT_CREDENTIAL,
            "This JSON is far larger or deeper than a credential. Paste the "
            "credential file exactly as downloaded.",
        )
    if not isinstance(document, dict) or not isinstance(document.get("proof"), dict):
        return Outcome(
            NOT_CREDENTIAL,
            "This is JSON but not a signed credential: it has no proof. Paste the "
            "whole credential file, as downloaded.",
        )
    multibase, key_row = _key_of(document)
    if key_row is None:
        return Outcome(
            UNKNOWN_KEY,
            "This credential was not signed with a key of this site, so it cannot "
            "be checked here. Verify it with its issuer.",
        )
    try:
        good = signature_matches(document, public_key_from_multibase(multibase))
    except (UnknownContext, CanonicalizationError, ValueError) as error:
        return Outcome(
            NOT_CREDENTIAL,
            f"This credential cannot be read: {error} Paste the whole credential "
            "file, as downloaded.",
        )
    cert = _certificate_of(document)
    if not good:
        return _tampered(document, cert)
    name = trainee_name(document)
    revoked = issuance.revocation(cert.id) if cert is not None else None
    if revoked is not None:
        return Outcome(
            REVOKED,
            f"This credential is genuine but was revoked on "
            f"{revoked.revoked_at:%Y-%m-%d}. Reason: {revoked.reason}",
            certificate=cert,
            reason=revoked.reason,
            name=name,
        )
    return Outcome(
        VALID,
        "This credential is valid: it was signed by this site and has not been "
        "changed or revoked.",
        certificate=cert,
        key_retired=key_row.retired_at is not None,
        name=name,
    )


def verify_text(text: str) -> Outcome:
    """Verify a credential given as JSON text (pasted, uploaded or a file)."""
    if len(text) > MAX_TEXT:
        return Outcome(
            NOT_CREDENTIAL,
            "This text is larger than any credential (64 KB at most). Paste the "
            "credential file exactly as downloaded.",
        )
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return Outcome(
            NOT_JSON,
            "This is not JSON. A credential file starts with { and ends with }; "
            "paste the whole file or upload it.",
        )
    return verify_document(document)
