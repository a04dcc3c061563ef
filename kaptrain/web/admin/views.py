"""Admin views: users, roles, activation, reset e-mails, cohorts, audit log."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import Select, func, or_, select

from kaptrain.extensions import db
from kaptrain.models import ADMIN, AuditEvent, Cohort, User
from kaptrain.people import (
    accounts,
    audit,
    membership,
    mfa,
    reauth,
    resets,
    security_events,
)
from kaptrain.people.access import roles_required
from kaptrain.web.admin.forms import AssignCohortForm, CreateUserForm, RolesForm
from kaptrain.web.auth.forms import ConfirmForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

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
def users() -> ResponseReturnValue:
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
def create_user() -> ResponseReturnValue:
    """Create an account with a random password; the holder gets a set-up link by
    e-mail (the admin never sees it)."""
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
            resets.send_setup_email(accounts.current_account(), user)
            flash(
                f"Account created for {user.email}. They were sent an e-mail with a "
                "link to choose their password.",
                "success",
            )
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template(
        "admin/users.html", users=[], has_more=False, page=1, q="", create_form=form
    ), 400


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
@reauth.reauth_required("admin.user_detail")
def user_detail(user_id: int) -> ResponseReturnValue:
    """One user's roles, with a form to change them."""
    user = db.session.get(User, user_id) or abort(404)
    form = RolesForm()
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    elif form.validate_on_submit():
        try:
            accounts.set_roles(accounts.current_account(), user, form.roles.data or [])
        except accounts.AccountError as error:
            form.roles.errors = [error.message]
        else:
            flash(f"Roles for {user.email} saved.", "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _user_page(user, form)


@bp.post("/users/<int:user_id>/active")
@roles_required(ADMIN)
@reauth.reauth_required("admin.user_detail")
def toggle_active(user_id: int) -> ResponseReturnValue:
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


@bp.post("/users/<int:user_id>/reset-email")
@roles_required(ADMIN)
@reauth.reauth_required("admin.user_detail")
def send_reset(user_id: int) -> ResponseReturnValue:
    """E-mail the account holder a one-time reset link (audited); the admin never
    sees the link or the new password."""
    user = db.session.get(User, user_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not user.active:
        flash(f"{user.email} is deactivated: reactivate it first.", "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    resets.send_reset_email(accounts.current_account(), user)
    flash(
        f"A password-reset e-mail was sent to {user.email}. The link in it works "
        "once; you cannot see it.",
        "success",
    )
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/cohorts")
@roles_required(ADMIN)
def assign_cohort(user_id: int) -> ResponseReturnValue:
    """Put a trainee into a cohort directly (audited; the trainee is told)."""
    user = db.session.get(User, user_id) or abort(404)
    form = _assign_form(user)
    if form.validate_on_submit():
        cohort = db.session.get(Cohort, form.cohort.data) or abort(404)
        try:
            added = membership.assign(accounts.current_account(), user, cohort)
        except membership.MembershipError as error:
            form.cohort.errors = [error.message]
        else:
            flash(
                f"{user.email} added to {cohort.name} and told by e-mail."
                if added
                else f"{user.email} is already in {cohort.name}.",
                "success",
            )
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return _user_page(user, RolesForm(formdata=None), assign_form=form), 400


def _assign_form(user: User) -> AssignCohortForm:
    form = AssignCohortForm()
    member_of = {m.cohort_id for m in user.memberships}
    form.cohort.choices = [
        (cohort.id, cohort.name)
        for cohort in db.session.scalars(select(Cohort).order_by(Cohort.name))
        if cohort.id not in member_of
    ]
    return form


def _user_page(
    user: User, form: RolesForm, assign_form: AssignCohortForm | None = None
) -> ResponseReturnValue:
    if form.roles.data is None:
        form.roles.data = sorted(user.roles)
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        confirm=ConfirmForm(),
        assign_form=assign_form or _assign_form(user),
        mfa_enrolled=mfa.is_enrolled(user.id),
        reauth_fresh=reauth.reauth_is_fresh(current_user),
    )


SECURITY = "security"


def _day(name: str) -> tuple[str, dt.datetime | None, str | None]:
    """The ``name`` query parameter as (typed text, start of that UTC day, error)."""
    typed = request.args.get(name, "").strip()[:10]
    if not typed:
        return "", None, None
    try:
        day = dt.date.fromisoformat(typed)
    except ValueError:
        return typed, None, "Enter dates as year-month-day, like 2026-12-04."
    return typed, dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC), None


@bp.post("/users/<int:user_id>/mfa-reset")
@roles_required(ADMIN)
@reauth.reauth_required("admin.user_detail")
def mfa_reset(user_id: int) -> ResponseReturnValue:
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
def audit_log() -> ResponseReturnValue:
    """The audit log, newest first, filterable by kind, person and dates."""
    action = request.args.get("action", "")
    who = request.args.get("who", "").strip().lower()[:254]
    since_text, since, since_error = _day("from")
    until_text, until, until_error = _day("to")
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action == SECURITY:
        query = query.where(AuditEvent.action.in_(security_events.KINDS))
    elif action in audit.ACTIONS:
        query = query.where(AuditEvent.action == action)
    else:
        action = ""
    if who:
        like = f"%{who}%"
        query = query.where(
            or_(AuditEvent.actor_label.like(like), AuditEvent.subject_label.like(like))
        )
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until + dt.timedelta(days=1))
    page, rows, has_more = _paged(query)
    filters = {"action": action, "who": who, "from": since_text, "to": until_text}
    return render_template(
        "admin/audit.html",
        events=rows,
        has_more=has_more,
        page=page,
        actions=[a for a in audit.ACTIONS if a not in security_events.KINDS],
        security_actions=security_events.KINDS,
        action=action,
        who=who,
        since=since_text,
        until=until_text,
        since_error=since_error,
        until_error=until_error,
        filters=filters,
    )
