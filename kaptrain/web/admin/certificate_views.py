"""Admin: find an issued certificate, revoke it with a reason, or reinstate it.

Both are audited, ask the admin to have confirmed it is them within
``KAPTRAIN_REAUTH_MINUTES`` (as role changes do), and the trainee is told by e-mail
(:mod:`kaptrain.learning.credentials.issuance`); verification shows a revoked
certificate as revoked, on this site and through the published status list.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, or_, select

from kaptrain.extensions import db
from kaptrain.learning.certificates import format_hours
from kaptrain.learning.credentials import issuance
from kaptrain.models import ADMIN, Certificate, CertificateRevocation, User
from kaptrain.people import reauth
from kaptrain.people.access import roles_required
from kaptrain.people.accounts import current_account
from kaptrain.web.admin.certificate_forms import ReinstateForm, RevokeForm
from kaptrain.web.admin.views import PAGE_SIZE, bp


@bp.get("/certificates")
@roles_required(ADMIN)
def certificates() -> ResponseReturnValue:
    """Issued certificates, newest first, searchable by code, name or e-mail."""
    q = request.args.get("q", "").strip()[:100]
    query = (
        select(Certificate, User.email, CertificateRevocation.revoked_at)
        .join(User, User.id == Certificate.user_id)
        .outerjoin(
            CertificateRevocation,
            CertificateRevocation.certificate_id == Certificate.id,
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(
                func.lower(Certificate.code).like(like),
                func.lower(Certificate.trainee_name).like(like),
                User.email.like(like),
            )
        )
    try:
        page = max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    found = db.session.execute(
        query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    ).all()
    rows, has_more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    return render_template(
        "admin/certificates.html", rows=rows, page=page, has_more=has_more, q=q
    )


def _page(cert: Certificate, revoke: RevokeForm, reinstate: ReinstateForm) -> str:
    owner = db.session.get(User, cert.user_id)
    return render_template(
        "admin/certificate.html",
        cert=cert,
        owner=owner,
        hours=format_hours,
        revocation=issuance.revocation(cert.id),
        signed=issuance.stored_credential(cert.id) is not None,
        revoke_form=revoke,
        reinstate_form=reinstate,
        reauth_fresh=reauth.reauth_is_fresh(current_user),
    )


@bp.get("/certificates/<int:cert_id>")
@roles_required(ADMIN)
def certificate_detail(cert_id: int) -> ResponseReturnValue:
    """One certificate, its status, and the revoke or reinstate form."""
    cert = db.session.get(Certificate, cert_id) or abort(404)
    return _page(cert, RevokeForm(), ReinstateForm())


@bp.post("/certificates/<int:cert_id>/revoke")
@roles_required(ADMIN)
@reauth.reauth_required("admin.certificate_detail")
def revoke_certificate(cert_id: int) -> ResponseReturnValue:
    """Revoke with a reason (audited; the trainee is e-mailed)."""
    cert = db.session.get(Certificate, cert_id) or abort(404)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _page(cert, form, ReinstateForm(formdata=None)), 400
    if issuance.revoke(cert, form.reason.data or "", current_account()):
        flash(f"Certificate {cert.code} revoked; the trainee was told.", "success")
    else:
        flash(f"Certificate {cert.code} was already revoked.", "warning")
    return redirect(url_for("admin.certificate_detail", cert_id=cert.id))


@bp.post("/certificates/<int:cert_id>/reinstate")
@roles_required(ADMIN)
@reauth.reauth_required("admin.certificate_detail")
def reinstate_certificate(cert_id: int) -> ResponseReturnValue:
    """Withdraw a revocation (audited; the trainee is e-mailed)."""
    cert = db.session.get(Certificate, cert_id) or abort(404)
    form = ReinstateForm()
    if not form.validate_on_submit():
        return _page(cert, RevokeForm(formdata=None), form), 400
    if issuance.reinstate(cert, current_account(), form.note.data or ""):
        flash(
            f"Certificate {cert.code} is valid again; the trainee was told.",
            "success",
        )
    else:
        flash(f"Certificate {cert.code} was not revoked.", "warning")
    return redirect(url_for("admin.certificate_detail", cert_id=cert.id))
