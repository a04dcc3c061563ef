"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite.

The W3C "Data Integrity EdDSA Cryptosuites v1.0" algorithm: canonicalise the
credential (without its proof) and the proof configuration (the proof without
``proofValue``, with the credential's ``@context``) with RDF Dataset
Canonicalization (URDNA2015, which RDFC-1.0 standardised), hash each with SHA-256,
sign ``hash(proof config) + hash(credential)`` with Ed25519 and store the
signature as a multibase base58-btc string. The 1EdTech test vector in
``tests/test_credentials_vector.py`` checks every intermediate value.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pyld import jsonld

from kaptrain.learning.credentials.contexts import UnknownContext, document_loader

CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_TYPE = "DataIntegrityProof"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Multicodec prefix of an Ed25519 public key (0xed, varint-encoded) in a Multikey.
_ED25519_PUB = b"\xed\x01"


class CanonicalizationError(ValueError):
    """The document is not JSON-LD this site can canonicalise."""


def b58encode(data: bytes) -> str:
    """Bitcoin base58 (the alphabet multibase ``z`` uses)."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + out


def b58decode(text: str) -> bytes:
    """Inverse of :func:`b58encode`; ValueError for a character outside base58."""
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    return "z" + b58encode(data)


def multibase_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("only base58-btc multibase values (starting with z) are read")
    return b58decode(text[1:])


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """The Multikey ``publicKeyMultibase`` of an Ed25519 key (``z6Mk...``)."""
    raw = public_key.public_bytes_raw()
    return multibase_encode(_ED25519_PUB + raw)


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """The key in a Multikey ``publicKeyMultibase``; ValueError if it is not one."""
    data = multibase_decode(text)
    if not data.startswith(_ED25519_PUB) or len(data) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def canonicalize(document: dict[str, Any]) -> str:
    """The document's canonical N-Quads (URDNA2015 / RDFC-1.0), from shipped
    contexts only."""
    try:
        return jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
            },
        )
    except jsonld.JsonLdError as error:
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, UnknownContext):
                raise cause from None
            cause = getattr(cause, "cause", None) or cause.__cause__
        raise CanonicalizationError(str(error).splitlines()[0][:300]) from None


@dataclass(frozen=True)
class HashData:
    """The intermediate values of one proof: what the test vector publishes."""

    proof_canonical: str
    document_canonical: str
    proof_hash: bytes
    document_hash: bytes

    @property
    def signed_bytes(self) -> bytes:
        return self.proof_hash + self.document_hash


def hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> HashData:
    """Canonicalise and hash a document (without proof) and proof configuration."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof_config.items() if k != "proofValue"}
    config["@context"] = unsigned.get("@context")
    proof_nq = canonicalize(config)
    document_nq = canonicalize(unsigned)
    return HashData(
        proof_nq,
        document_nq,
        hashlib.sha256(proof_nq.encode()).digest(),
        hashlib.sha256(document_nq.encode()).digest(),
    )


def sign(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-rdfc-2022`` proof added."""
    proof = {
        "type": PROOF_TYPE,
        "created": created,
        "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": "assertionMethod",
    }
    data = hash_data(document, proof)
    proof["proofValue"] = multibase_encode(private_key.sign(data.signed_bytes))
    signed = copy.deepcopy(document)
    signed["proof"] = proof
    return signed


def signature_matches(document: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Whether the document's single proof is a valid signature by ``public_key``.

    Raises :class:`UnknownContext` / :class:`CanonicalizationError` for a document
    that cannot be canonicalised, ValueError for a malformed proof.
    """
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise ValueError("the credential has no proof, or more than one")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ValueError(
            f"the proof is not a {PROOF_TYPE} with the {CRYPTOSUITE} cryptosuite"
        )
    value = proof.get("proofValue")
    if not isinstance(value, str):
        raise ValueError("the proof has no proofValue")
    try:
        signature = multibase_decode(value)
    except ValueError:
        return False
    data = hash_data(document, proof)
    try:
        public_key.verify(signature, data.signed_bytes)
    except InvalidSignature:
        return False
    return True
