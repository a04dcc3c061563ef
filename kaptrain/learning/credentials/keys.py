"""The issuer's Ed25519 signing keys and its ``did:web`` document.

The private key lives outside the database: in ``KAPTRAIN_SIGNING_KEY`` (64 hex
characters) or in ``instance/signing_key.pem`` (PKCS#8, mode 0600), which
``flask backup`` does not copy. Public keys are rows of ``signing_keys``: the
current one and every retired one, so a credential signed before a rotation still
verifies, and ``/.well-known/did.json`` lists them all.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app, has_request_context, request
from sqlalchemy import select, update

from kaptrain.extensions import db
from kaptrain.learning.credentials.proofs import public_key_multibase
from kaptrain.models import SigningKey, utcnow
from kaptrain.platform.database import insert_ignore

GENERATE_HINT = "Run `flask --app kaptrain keys generate` to create one."


class KeyProblem(Exception):
    """A key operation cannot be done; the message says what to do."""


def _key_file() -> Path:
    return Path(current_app.config["SIGNING_KEY_FILE"])


def _from_env() -> Ed25519PrivateKey | None:
    seed = current_app.config.get("SIGNING_KEY")
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)) if seed else None


def _read_file(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise KeyProblem(
            f"{path} is not a PEM Ed25519 private key ({error}). Restore it from "
            "your key backup, or move it away and generate a new key."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyProblem(f"{path} holds a key that is not Ed25519.")
    return key


def private_key() -> Ed25519PrivateKey | None:
    """The configured signing key, or None when the site has none yet."""
    key = _from_env()
    if key is not None:
        return key
    path = _key_file()
    return _read_file(path) if path.exists() else None


def _write_file(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` to ``path`` atomically, readable by the owner only."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing_key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def register(multibase: str) -> SigningKey:
    """The public key's row, created if missing (idempotent under races).

    A key seen for the first time becomes the site's signing key: every other
    key still current is retired (it keeps verifying, never signs again). So a
    new ``KAPTRAIN_SIGNING_KEY``, or ``keys generate`` after the key file was
    lost, needs no separate step."""
    inserted = insert_ignore(
        SigningKey, {"public_key_multibase": multibase, "created_at": utcnow()}
    )
    if inserted:
        db.session.execute(
            update(SigningKey)
            .where(
                SigningKey.public_key_multibase != multibase,
                SigningKey.retired_at.is_(None),
            )
            .values(retired_at=utcnow())
        )
    return db.session.execute(
        select(SigningKey).where(SigningKey.public_key_multibase == multibase)
    ).scalar_one()


def current_key() -> tuple[Ed25519PrivateKey, str]:
    """The signing key and its public Multikey, registered; KeyProblem if there is
    none or it was retired."""
    key = private_key()
    if key is None:
        raise KeyProblem(f"This site has no credential signing key. {GENERATE_HINT}")
    multibase = public_key_multibase(key.public_key())
    row = register(multibase)
    if row.retired_at is not None:
        raise KeyProblem(
            "The configured signing key was retired by `keys rotate`. Set "
            "KAPTRAIN_SIGNING_KEY to the new key, or unset it to use the key file."
        )
    return key, multibase


def generate(print_only: bool = False) -> str:
    """Create the site's first key (file, or printed for KAPTRAIN_SIGNING_KEY)."""
    key = Ed25519PrivateKey.generate()
    if print_only:
        return key.private_bytes_raw().hex()
    if current_app.config.get("SIGNING_KEY"):
        raise KeyProblem(
            "KAPTRAIN_SIGNING_KEY is set, so the site signs with that key; "
            "unset it to use a key file instead."
        )
    path = _key_file()
    if path.exists():
        raise KeyProblem(
            f"{path} already exists. Use `keys rotate` to replace the key."
        )
    _write_file(path, key)
    multibase = public_key_multibase(key.public_key())
    register(multibase)
    db.session.commit()
    return multibase


def rotate() -> tuple[str, str]:
    """Retire the current key and start signing with a new one: (old, new)."""
    if current_app.config.get("SIGNING_KEY"):
        raise KeyProblem(
            "KAPTRAIN_SIGNING_KEY is set: make a new key with `keys generate "
            "--print` and set the variable to it on every host; the old key is "
            "retired when the new one first signs."
        )
    _old_key, old = current_key()
    new_key = Ed25519PrivateKey.generate()
    new = public_key_multibase(new_key.public_key())
    register(new)  # retires the old key
    # The database first: if writing the file fails, the old key still signs
    # until an admin re-runs rotate; the new public key is merely listed early.
    db.session.commit()
    _write_file(_key_file(), new_key)
    return old, new


def retire(multibase: str) -> bool:
    """Mark a public key retired (it still verifies, never signs again)."""
    result = db.session.execute(
        update(SigningKey)
        .where(
            SigningKey.public_key_multibase == multibase,
            SigningKey.retired_at.is_(None),
        )
        .values(retired_at=utcnow())
    )
    return bool(result.rowcount)


def all_keys() -> list[SigningKey]:
    """Every public key, oldest first."""
    return list(
        db.session.execute(select(SigningKey).order_by(SigningKey.id)).scalars()
    )


def known_key(multibase: str) -> SigningKey | None:
    return db.session.execute(
        select(SigningKey).where(SigningKey.public_key_multibase == multibase)
    ).scalar_one_or_none()


def issuer_did() -> str:
    """``did:web:<host>`` for this site (port percent-encoded, as did:web says)."""
    base = current_app.config.get("BASE_URL")
    if base:
        netloc = urlsplit(base).netloc
    elif has_request_context():
        netloc = request.host
    else:
        raise KeyProblem(
            "The issuer's did:web needs the site's address outside a request: "
            "set KAPTRAIN_BASE_URL."
        )
    return "did:web:" + quote(netloc.lower(), safe="")


def did_document() -> dict[str, Any]:
    """The DID document served at ``/.well-known/did.json``."""
    did = issuer_did()
    methods = [
        {
            "id": f"{did}#{row.public_key_multibase}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": row.public_key_multibase,
        }
        for row in all_keys()
    ]
    ids = [method["id"] for method in methods]
    return {
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1",
        ],
        "id": did,
        "verificationMethod": methods,
        # Retired keys stay here: credentials they signed must keep verifying.
        "assertionMethod": ids,
    }
