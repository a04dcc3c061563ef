"""Passkeys (WebAuthn) as a second method beside the authenticator app.

A passkey can be added only once TOTP is set up, so the app and the recovery
codes always remain. The browser part is a small script
(``static/js/passkeys.js``); these functions make the options (the challenge is
kept in the signed session cookie, once) and check the browser's answer with
the ``webauthn`` library.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import webauthn
from flask import current_app, request, session
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse
from webauthn.helpers.exceptions import InvalidRegistrationResponse as _BadReg
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from kaptrain.extensions import db
from kaptrain.models import Passkey, User, utcnow
from kaptrain.people import audit, mfa
from kaptrain.people.accounts import AccountError

MAX_PASSKEYS = 10
_REG = "passkey_registration_challenge"
_AUTH = "passkey_authentication_challenge"
NOT_ACCEPTED = (
    "The passkey was not accepted. Try again, or enter a code from your "
    "authenticator app instead."
)


def relying_party() -> tuple[str, str]:
    """(rp id, origin): from WEBAUTHN_RP_ID / WEBAUTHN_ORIGIN, else the request."""
    origin = current_app.config.get("WEBAUTHN_ORIGIN") or request.host_url.rstrip("/")
    rp_id = current_app.config.get("WEBAUTHN_RP_ID") or (
        urlsplit(origin).hostname or ""
    )
    return rp_id, origin


def has_passkeys(user_id: int) -> bool:
    return bool(
        db.session.execute(
            select(func.count()).select_from(Passkey).where(Passkey.user_id == user_id)
        ).scalar_one()
    )


def list_passkeys(user_id: int) -> list[Passkey]:
    return list(
        db.session.execute(
            select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)
        ).scalars()
    )


def _descriptors(user_id: int) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.credential_id))
        for p in list_passkeys(user_id)
    ]


def registration_options(user: User) -> str:
    """JSON options for ``navigator.credentials.create``; remembers the challenge."""
    if not mfa.is_enrolled(user.id):
        raise AccountError("name", "Set up an authenticator app first.")
    rp_id, _origin = relying_party()
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name="kaptrain",
        user_name=user.email,
        user_display_name=user.name,
        user_id=str(user.id).encode(),
        exclude_credentials=_descriptors(user.id),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    session[_REG] = bytes_to_base64url(options.challenge)
    return webauthn.options_to_json(options)


def register(user: User, credential: str, name: str) -> Passkey:
    """Check the browser's registration answer and store the passkey."""
    challenge = session.pop(_REG, None)
    name = " ".join(name.split())[:60] or "Passkey"
    if not challenge:
        raise AccountError("name", "The request expired. Add the passkey again.")
    if len(list_passkeys(user.id)) >= MAX_PASSKEYS:
        raise AccountError(
            "name", f"You have {MAX_PASSKEYS} passkeys; remove one to add another."
        )
    rp_id, origin = relying_party()
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (_BadReg, ValueError, KeyError, TypeError) as error:
        raise AccountError(
            "name", "The passkey could not be added. Try again."
        ) from error
    transports = _transports(credential)
    passkey = Passkey(
        user_id=user.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=name,
        transports=transports,
    )
    db.session.add(passkey)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AccountError("name", "This passkey is already registered.") from None
    audit.record("mfa_changed", actor=user, subject=user, detail="passkey added")
    mfa.notify(
        user,
        "A passkey was added to your kaptrain account",
        f"A passkey named \u201c{name}\u201d was added for two-step sign-in.",
    )
    db.session.commit()
    return passkey


def _transports(credential: str) -> str:
    try:
        found = json.loads(credential).get("response", {}).get("transports") or []
    except (ValueError, AttributeError):
        return ""
    return ",".join(str(t)[:20] for t in found[:8] if isinstance(t, str))


def remove(user: User, passkey_id: int) -> None:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise AccountError("passkey", "That passkey is not on your account.")
    db.session.delete(passkey)
    audit.record("mfa_changed", actor=user, subject=user, detail="passkey removed")
    mfa.notify(
        user,
        "A passkey was removed from your kaptrain account",
        f"The passkey named \u201c{passkey.name}\u201d was removed.",
    )
    db.session.commit()


def authentication_options(user_id: int) -> str:
    rp_id, _origin = relying_party()
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=_descriptors(user_id),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    session[_AUTH] = bytes_to_base64url(options.challenge)
    return webauthn.options_to_json(options)


def authenticate(user: User, credential: str) -> None:
    """Sign-in step two with a passkey: check the signature, mark the session."""
    challenge = session.pop(_AUTH, None)
    try:
        raw_id = json.loads(credential)["rawId"]
        passkey = db.session.execute(
            select(Passkey).where(
                Passkey.credential_id == str(raw_id), Passkey.user_id == user.id
            )
        ).scalar_one_or_none()
        if passkey is None or not challenge:
            raise ValueError("unknown passkey or no challenge")
        rp_id, origin = relying_party()
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=webauthn.base64url_to_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        mfa.record_failure(user, "passkey")
        raise AccountError("code", NOT_ACCEPTED) from None
    db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id)
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
    )
    mfa.mark_session(user, mfa=True)
    audit.record("mfa_passed", actor=user, subject=user, detail="passkey")
    db.session.commit()


def parse_json_body(raw: Any) -> str:
    """The credential JSON from the form field, bounded (never a 500 on junk)."""
    if not isinstance(raw, str) or not raw or len(raw) > 20_000:
        raise AccountError("code", NOT_ACCEPTED)
    return raw
