"""Admin views: users, roles, activation, reset links, audit log."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, or_, select

from .. import accounts, audit, mfa, reauth
from ..access import roles_required
from ..auth.forms import ConfirmForm
from ..extensions import db
from ..models import ADMIN, AuditEvent, User
from . import bp
from .forms import CreateUserForm, RolesForm

PAGE_SIZE = 50


def _page() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        return 1


def _paged(query: Select[Any]) -> tuple[int, list[Any], bool]:
    """The requested page of ``query``: (page number, rows, whether more follow)."""
    page = _page()
    rows = list(
        db.session.execute(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE))
        .scalars()
        .all()
    )
    return page, rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@bp.get("/users")
@roles_required(ADMIN)
def users():  # type: ignore[no-untyped-def]
    """List users, newest first, with a search by name or email."""
    q = request.args.get("q", "").strip()[:100]
    query = select(User).order_by(User.created_at.desc(), User.id.desc())
    if q:
        like = f"%{q.lower()}%"
        query = query.where(
            or_(User.email.like(like), func.lower(User.name).like(like))
        )
    page, rows, has_more = _paged(query)
    return render_template(
        "admin/users.html",
        users=rows,
        has_more=has_more,
        page=page,
        q=q,
        create_form=CreateUserForm(),
    )


@bp.post("/users")
@roles_required(ADMIN)
def create_user():  # type: ignore[no-untyped-def]
    """Create an account with a random password and show a one-time set-up link."""
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data or "",
                form.name.data or "",
                secrets.token_urlsafe(24),
                form.roles.data or ["trainee"],
                actor=accounts.current_account(),
                check_policy=False,
            )
        except accounts.AccountError as error:
            field = getattr(form, error.field, form.email)
            field.errors = [error.message]
        else:
            token = accounts.issue_reset_link(accounts.current_account(), user)
            return render_template(
                "admin/reset_link.html",
                user=user,
                link=url_for("auth.reset_password", token=token, _external=True),
                back_url=url_for("admin.users"),
            )
    return render_template(
        "admin/users.html", users=[], has_more=False, page=1, q="", create_form=form
    ), 400


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
@reauth.reauth_required("admin.user_detail")
def user_detail(user_id: int):  # type: ignore[no-untyped-def]
    """One user's roles, with a form to change them."""
    user = db.session.get(User, user_id) or abort(404)
    form = RolesForm()
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    elif form.validate_on_submit():
        try:
            accounts.set_roles(
                accounts.current_account(), user, form.roles.data or []
            )
        except accounts.AccountError as error:
            form.roles.errors = [error.message]
        else:
            flash(f"Roles for {user.email} saved.", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        confirm=ConfirmForm(),
        mfa_enrolled=mfa.is_enrolled(user.id),
        reauth_fresh=reauth.reauth_is_fresh(current_user),
    )


@bp.post("/users/<int:user_id>/active")
@roles_required(ADMIN)
@reauth.reauth_required("admin.user_detail")
def toggle_active(user_id: int):  # type: ignore[no-untyped-def]
    """Deactivate (ending all sessions) or reactivate an account."""
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    user.active = not user.active
    if not user.active:
        user.session_token = None
        accounts.end_other_sessions(user)
    audit.record(
        "user_activated" if user.active else "user_deactivated",
        actor=accounts.current_account(),
        subject=user,
    )
    db.session.commit()
    flash(
        f"{user.email} is now {'active' if user.active else 'deactivated'}.", "success"
    )
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/reset-link")
@roles_required(ADMIN)
@reauth.reauth_required("admin.user_detail")
def reset_link(user_id: int):  # type: ignore[no-untyped-def]
    """Issue a one-time password-reset link to hand to the user."""
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = accounts.issue_reset_link(accounts.current_account(), user)
    return render_template(
        "admin/reset_link.html",
        user=user,
        link=url_for("auth.reset_password", token=token, _external=True),
        back_url=url_for("admin.user_detail", user_id=user.id),
    )


@bp.post("/users/<int:user_id>/mfa-reset")
@roles_required(ADMIN)
@reauth.reauth_required("admin.user_detail")
def mfa_reset(user_id: int):  # type: ignore[no-untyped-def]
    """Remove someone's second factors (lost device); they are told by e-mail."""
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        mfa.admin_reset(accounts.current_account(), user)
    except accounts.AccountError as error:
        flash(error.message, "error")
    else:
        flash(
            f"Two-step sign-in for {user.email} is reset and they are signed out "
            "everywhere; they were told by e-mail.",
            "success",
        )
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.get("/audit")
@roles_required(ADMIN)
def audit_log():  # type: ignore[no-untyped-def]
    """The audit log, newest first, filterable by action and by person."""
    action = request.args.get("action", "")
    who = request.args.get("who", "").strip().lower()[:254]
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action in audit.ACTIONS:
        query = query.where(AuditEvent.action == action)
    if who:
        like = f"%{who}%"
        query = query.where(
            or_(AuditEvent.actor_label.like(like), AuditEvent.subject_label.like(like))
        )
    page, rows, has_more = _paged(query)
    return render_template(
        "admin/audit.html",
        events=rows,
        has_more=has_more,
        page=page,
        actions=audit.ACTIONS,
        action=action if action in audit.ACTIONS else "",
        who=who,
    )
