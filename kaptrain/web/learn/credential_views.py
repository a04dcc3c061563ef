"""Signed credentials on the web: the owner's JSON download, the public "Verify a
credential" form, the revocation status list and the issuer's did:web document."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, render_template
from flask.typing import ResponseReturnValue

from kaptrain.extensions import limiter
from kaptrain.learning.credentials import issuance, keys
from kaptrain.learning.credentials.verification import MAX_TEXT, verify_text
from kaptrain.models import TRAINEE
from kaptrain.people.access import roles_required
from kaptrain.platform.urls import absolute_url
from kaptrain.web.learn.certificate_views import VERIFY_LIMIT, own_certificate_or_404
from kaptrain.web.learn.credential_forms import VerifyCredentialForm
from kaptrain.web.learn.credential_links import credential_or_none
from kaptrain.web.learn.views import bp


def _json_response(document: Any, filename: str | None = None) -> Response:
    response = Response(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        mimetype="application/json",
    )
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/certificates/<code>.json")
@roles_required(TRAINEE)
def certificate_json(code: str) -> ResponseReturnValue:
    """The owner's signed Open Badges credential, as a file."""
    cert = own_certificate_or_404(code)
    credential = credential_or_none(cert)
    if credential is None:
        abort(503, "This site cannot sign credentials yet; try again later.")
    return _json_response(credential, f"credential-{cert.code}.json")


def _submitted_text(form: VerifyCredentialForm) -> str | None:
    upload = form.upload.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.read(MAX_TEXT + 1)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.upload.errors = ["This file is not text. Upload the .json file."]
            return None
    text = (form.credential.data or "").strip()
    if not text:
        form.credential.errors = ["Paste a credential or choose a file to upload."]
        return None
    return text


@bp.route("/verify/credential", methods=["GET", "POST"])
@limiter.limit(VERIFY_LIMIT)
def verify_credential() -> ResponseReturnValue:
    """Public: check a pasted or uploaded credential (valid, tampered, revoked,
    unknown key), keeping what was pasted."""
    form = VerifyCredentialForm()
    outcome = None
    if form.validate_on_submit():
        text = _submitted_text(form)
        if text is not None:
            outcome = verify_text(text)
    status = 400 if form.errors else 200
    return render_template(
        "learn/verify_credential.html", form=form, outcome=outcome
    ), status


@bp.get("/credentials/status/<int:list_number>")
@limiter.limit(VERIFY_LIMIT)
def status_list(list_number: int) -> ResponseReturnValue:
    """The signed Bitstring Status List credential (revocations), public."""
    if not 1 <= list_number <= 10_000:
        abort(404)
    url = absolute_url("learn.status_list", list_number=list_number)
    try:
        document = issuance.status_list_credential(list_number, url, keys.issuer_did())
    except keys.KeyProblem:
        abort(404)
    return _json_response(document)


@bp.get("/.well-known/did.json")
def did_document() -> ResponseReturnValue:
    """The issuer's DID document: every public key, current and retired."""
    return _json_response(keys.did_document())
