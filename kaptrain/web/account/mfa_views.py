"""Two-step sign-in on one's own account: enrol, recovery codes, passkeys, turn
off (trainees only), and confirming it is you before sensitive changes."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RouteLimit
from flask_login import current_user, login_required

from kaptrain.extensions import limiter
from kaptrain.people import mfa, one_time_codes, passkeys
from kaptrain.people.accounts import AccountError, current_account
from kaptrain.people.reauth import reauth_is_fresh, reauthenticate
from kaptrain.web.account.views import bp
from kaptrain.web.auth.forms import ConfirmForm, EnrolForm, ReauthForm
from kaptrain.web.auth.views import safe_next

_SETUP_SECRET = "mfa_setup_secret"  # noqa: S105 - a session key name


def _code_failed(_response: Response) -> bool:
    return bool(g.get("mfa_failed"))


def _account_key() -> str:
    return f"mfa:{current_user.id}"


def _code_tries() -> RouteLimit:
    """Ten code tries per account in 15 minutes; only a wrong code counts."""
    return limiter.limit(
        "10 per 15 minutes",
        key_func=_account_key,
        methods=["POST"],
        deduct_when=_code_failed,
    )


@bp.get("/mfa")
@login_required
def mfa_overview() -> ResponseReturnValue:
    """Two-step sign-in: whether it is on, recovery codes left, passkeys."""
    enrolled = mfa.is_enrolled(current_user.id)
    return render_template(
        "account/mfa.html",
        enrolled=enrolled,
        staff=mfa.is_staff(current_user),
        codes_left=one_time_codes.recovery_codes_left(current_user.id)
        if enrolled
        else 0,
        passkeys=passkeys.list_passkeys(current_user.id) if enrolled else [],
        reauth_fresh=reauth_is_fresh(current_user),
        confirm=ConfirmForm(),
    )


def _pending_secret() -> str:
    """The secret being set up in this browser: made on first view, kept in the
    signed session until confirmed (a GET changes nothing in the database)."""
    held = session.get(_SETUP_SECRET)
    if isinstance(held, dict) and held.get("user") == current_user.id:
        return str(held["secret"])
    secret = one_time_codes.new_secret()
    session[_SETUP_SECRET] = {"user": current_user.id, "secret": secret}
    return secret


@bp.route("/mfa/setup", methods=["GET", "POST"])
@login_required
@_code_tries()
def mfa_setup() -> ResponseReturnValue:
    """Set up an authenticator app: scan or type the secret, confirm a code."""
    next_url = safe_next(request.args.get("next"))
    if mfa.is_enrolled(current_user.id):
        return redirect(next_url or url_for("account.mfa_overview"))
    form = EnrolForm()
    secret = _pending_secret()
    if form.validate_on_submit():
        try:
            codes = mfa.enrol_totp(current_account(), secret, form.code.data or "")
        except AccountError as error:
            g.mfa_failed = True
            form.code.errors = [error.message]
        else:
            session.pop(_SETUP_SECRET, None)
            return render_template(
                "account/mfa_codes.html",
                codes=codes,
                next_url=next_url or url_for("main.index"),
                first_time=True,
            )
    uri = one_time_codes.provisioning_uri(secret, current_user.email)
    return render_template(
        "account/mfa_setup.html",
        form=form,
        qr=one_time_codes.qr_svg(uri),
        secret=one_time_codes.grouped(secret),
        required=mfa.is_staff(current_user),
    ), (400 if form.errors else 200)


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@_code_tries()
def reauth() -> ResponseReturnValue:
    """Confirm it is you (password, and a code when enrolled) before a change."""
    next_url = safe_next(request.args.get("next")) or url_for("account.mfa_overview")
    form = ReauthForm()
    enrolled = mfa.is_enrolled(current_user.id)
    if form.validate_on_submit():
        try:
            reauthenticate(
                current_account(), form.password.data or "", form.code.data or ""
            )
        except AccountError as error:
            g.mfa_failed = True
            getattr(form, error.field).errors = [error.message]
        else:
            flash("Thank you. You can make the change now.", "success")
            return redirect(next_url)
    return render_template("account/reauth.html", form=form, enrolled=enrolled), (
        400 if form.errors else 200
    )


def _fresh_or_confirm() -> ResponseReturnValue | None:
    """None when re-authentication is fresh, else the redirect to confirm."""
    if reauth_is_fresh(current_user):
        return None
    flash("First confirm it is you. Then make the change again.", "info")
    return redirect(url_for("account.reauth", next=url_for("account.mfa_overview")))


def _own_mfa_change_refused() -> ResponseReturnValue | None:
    """Why a change to one's own second factors cannot go ahead (a response), or
    None: the CSRF token, an enrolment to change, and a recent confirmation."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not mfa.is_enrolled(current_user.id):
        return redirect(url_for("account.mfa_overview"))
    return _fresh_or_confirm()


@bp.post("/mfa/recovery-codes")
@login_required
def mfa_new_codes() -> ResponseReturnValue:
    """Replace the recovery codes (after confirming it is you); show them once."""
    refused = _own_mfa_change_refused()
    if refused is not None:
        return refused
    codes = mfa.regenerate_recovery_codes(current_account())
    return render_template(
        "account/mfa_codes.html",
        codes=codes,
        next_url=url_for("account.mfa_overview"),
        first_time=False,
    )


@bp.post("/mfa/off")
@login_required
def mfa_off() -> ResponseReturnValue:
    """Turn two-step sign-in off (trainees; staff are told why they cannot)."""
    refused = _own_mfa_change_refused()
    if refused is not None:
        return refused
    try:
        mfa.disable_own(current_account())
    except AccountError as error:
        flash(error.message, "error")
    else:
        flash("Two-step sign-in is off.", "success")
    return redirect(url_for("account.mfa_overview"))


@bp.post("/mfa/passkeys/options")
@login_required
def passkey_options() -> ResponseReturnValue:
    """WebAuthn registration options (JSON, for static/js/passkeys.js)."""
    try:
        body = passkeys.registration_options(current_account())
    except AccountError as error:
        return {"error": error.message}, 400
    return Response(body, mimetype="application/json")


@bp.post("/mfa/passkeys")
@login_required
def passkey_add() -> ResponseReturnValue:
    """Store a passkey the browser created (form posted by the script)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        credential = passkeys.parse_json_body(request.form.get("credential"))
        passkeys.register(current_account(), credential, request.form.get("name", ""))
    except AccountError as error:
        flash(error.message, "error")
    else:
        flash("Passkey added.", "success")
    return redirect(url_for("account.mfa_overview"))


@bp.post("/mfa/passkeys/<int:passkey_id>/delete")
@login_required
def passkey_remove(passkey_id: int) -> ResponseReturnValue:
    """Remove one of one's passkeys (after confirming it is you)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    confirm = _fresh_or_confirm()
    if confirm is not None:
        return confirm
    try:
        passkeys.remove(current_account(), passkey_id)
    except AccountError:
        abort(404)
    flash("Passkey removed.", "success")
    return redirect(url_for("account.mfa_overview"))
