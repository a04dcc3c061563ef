"""Certificates: the owner's printable page and PDF, and public verification."""

from __future__ import annotations

import json

from flask import Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.extensions import limiter
from kaptrain.learning.certificates import (
    certificate_by_code,
    certificate_pdf,
    format_hours,
    normalize_code,
)
from kaptrain.learning.credentials import issuance
from kaptrain.learning.credentials.verification import verify_document
from kaptrain.models import TRAINEE, Certificate
from kaptrain.people.access import deny, roles_required
from kaptrain.people.accounts import current_account
from kaptrain.platform.urls import absolute_url
from kaptrain.web.learn.credential_links import credential_or_none
from kaptrain.web.learn.views import bp


def own_certificate_or_404(code: str) -> Certificate:
    """The signed-in trainee's certificate with this code, or 404 (anyone else's
    too, so codes cannot be probed)."""
    certificate = certificate_by_code(code)
    if certificate is None or certificate.user_id != current_account().id:
        deny()
    return certificate


def _verify_url(certificate: Certificate) -> str:
    return absolute_url("learn.verify", code=certificate.code)


@bp.get("/certificates/<code>.pdf")
@roles_required(TRAINEE)
def certificate_download(code: str) -> ResponseReturnValue:
    """The certificate as a PDF download."""
    certificate = own_certificate_or_404(code)
    credential = credential_or_none(certificate)
    pdf = certificate_pdf(
        certificate,
        _verify_url(certificate),
        json.dumps(credential, ensure_ascii=False, indent=2) if credential else None,
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="certificate-{certificate.code}.pdf"'
            )
        },
    )


@bp.get("/certificates/<code>")
@roles_required(TRAINEE)
def certificate(code: str) -> ResponseReturnValue:
    """The owner's printable certificate page."""
    certificate = own_certificate_or_404(code)
    return render_template(
        "learn/certificate.html",
        cert=certificate,
        credential=credential_or_none(certificate),
        revocation=issuance.revocation(certificate.id),
        hours=format_hours,
        verify_url=_verify_url(certificate),
    )


# Public and unauthenticated: slow anyone enumerating certificate codes.
VERIFY_LIMIT = "30 per minute; 300 per hour"


@bp.get("/verify")
@limiter.limit(VERIFY_LIMIT)
def verify_form() -> ResponseReturnValue:
    """A form to type a verification code (public)."""
    typed = request.args.get("code", "")[:64]
    if typed:
        canonical = normalize_code(typed) or typed.strip()
        return redirect(url_for("learn.verify", code=canonical))
    return render_template("learn/verify_form.html")


@bp.get("/verify/<code>")
@limiter.limit(VERIFY_LIMIT)
def verify(code: str) -> ResponseReturnValue:
    """Public verification: the certificate's fields, or a plain "not found"."""
    certificate = certificate_by_code(code[:64])
    if certificate is None:
        return render_template("learn/verify_missing.html"), 404
    credential = credential_or_none(certificate)
    outcome = verify_document(credential) if credential is not None else None
    return render_template(
        "learn/verify.html",
        cert=certificate,
        hours=format_hours,
        outcome=outcome,
        revocation=issuance.revocation(certificate.id),
    )
