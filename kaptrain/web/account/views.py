"""Views for a person's own data: overview, download, and account deletion."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, logout_user

from kaptrain.extensions import db, limiter
from kaptrain.models import User, utcnow
from kaptrain.people import audit, data_export, membership, privacy, sessions
from kaptrain.people.accounts import current_account, end_other_sessions
from kaptrain.people.data_export_csv import export_zip
from kaptrain.platform.database import begin_write
from kaptrain.web.account.forms import DeleteAccountForm
from kaptrain.web.auth.forms import ConfirmForm

bp = Blueprint("account", __name__, url_prefix="/account")


def _me() -> User:
    return current_account()


def _filename(ext: str) -> str:
    return f"kaptrain-my-data-{utcnow().strftime('%Y%m%d')}.{ext}"


@bp.get("")
@login_required
def overview() -> ResponseReturnValue:
    """What the platform holds about me, with links to download it and to delete."""
    data = data_export.export_user_data(current_user.id)
    counts = {
        key: len(value)
        for key, value in data.items()
        if isinstance(value, list) and key != "roles"
    }
    return render_template("account/overview.html", data=data, counts=counts)


@bp.get("/data.json")
@login_required
def data_json() -> ResponseReturnValue:
    """All of my data as one JSON file (the download is recorded in the audit log)."""
    return _download(
        "json",
        "application/json",
        lambda data: json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True),
    )


@bp.get("/data.zip")
@login_required
def data_zip() -> ResponseReturnValue:
    """All of my data as a ZIP of CSV files, one per table."""
    return _download("zip", "application/zip", export_zip)


def _download(
    ext: str, mimetype: str, lay_out: Callable[[dict[str, Any]], str | bytes]
) -> Response:
    """Record the download in the audit log, then send my data as a file."""
    begin_write()
    data_export.record_download(_me(), ext)
    body = lay_out(data_export.export_user_data(current_user.id))
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{_filename(ext)}"'},
    )


@bp.post("/invitations/<int:invitation_id>/<any(accept, decline):answer>")
@login_required
def answer_invitation(invitation_id: int, answer: str) -> ResponseReturnValue:
    """Accept or decline an invitation to a cohort (one's own only)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cohort = membership.answer(_me(), invitation_id, accept=answer == "accept")
    except LookupError:
        abort(404)
    if answer == "accept":
        flash(
            f"You joined {cohort.name}. Its supervisors now see your progress and "
            "the reflections you share.",
            "success",
        )
    else:
        flash(f"You declined the invitation to {cohort.name}.", "success")
    return redirect(url_for("main.index"))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per 15 minutes", methods=["POST"])
def delete() -> ResponseReturnValue:
    """Delete my account and all my data, after my password and a typed DELETE."""
    form = DeleteAccountForm()
    status = 200
    if form.validate_on_submit():
        user = _me()
        try:
            privacy.check_deletion(
                user, form.password.data or "", form.confirm.data or ""
            )
            privacy.delete_account(user)
        except privacy.PrivacyError as error:
            getattr(form, error.field).errors = [error.message]
        else:
            logout_user()
            session.clear()
            flash("Your account and all your data have been deleted.", "success")
            return redirect(url_for("auth.login"))
    if form.errors:
        status = 400
    return render_template("account/delete.html", form=form), status


@bp.get("/sessions")
@login_required
def sessions_list() -> ResponseReturnValue:
    """The browsers signed in to my account, with buttons to sign them out."""
    rows = sessions.active_sessions(
        current_user.id, current_user.roles, current_user.session_token
    )
    return render_template("account/sessions.html", sessions=rows)


@bp.post("/sessions/<session_id>/end")
@login_required
def end_session(session_id: str) -> ResponseReturnValue:
    """Sign out one of my other sessions."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    me = _me()
    if sessions.end_session_by_id(me.id, session_id[:32], me.session_token):
        audit.record("session_ended", actor=me, subject=me, detail="one")
        flash("That session is signed out.", "success")
    else:
        flash("That session had already ended.", "info")
    db.session.commit()
    return redirect(url_for("account.sessions_list"))


@bp.post("/sessions/end-others")
@login_required
def end_other() -> ResponseReturnValue:
    """Sign out every session of my account but this one."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    me = _me()
    end_other_sessions(me)
    audit.record("session_ended", actor=me, subject=me, detail="all others")
    db.session.commit()
    flash("You are signed out everywhere else.", "success")
    return redirect(url_for("account.sessions_list"))
