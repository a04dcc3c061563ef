"""Views for signing in and out, registering, and passwords."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    copy_current_request_context,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from kaptrain.extensions import limiter
from kaptrain.models import email_key
from kaptrain.people import accounts, mfa, one_time_codes, registration, resets, sign_in
from kaptrain.web.auth.devices import is_known_device, remember_device
from kaptrain.web.auth.forms import (
    CodeForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    RegisterForm,
    RegisterPasswordForm,
)

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect)."""
    if not target or len(target) > 2000:
        return None
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    if target.startswith("//"):
        return None
    return target


# Three limits, so that guessing is slow but the real user still gets in:
# per address (any outcome), per account from one address, and per account from
# anywhere (skipped by a browser that signed in to the account before, see
# devices.py). The two account limits count only wrong passwords, never
# successes, form errors or the 429s a limited attacker keeps receiving;
# otherwise a blocked attacker would go on filling the per-account bucket and
# lock the real user out from every address.
PER_ADDRESS = "30 per minute"
PER_ACCOUNT_AND_ADDRESS = "10 per 5 minutes"
PER_ACCOUNT = "100 per hour"
# Opening e-mailed one-time links (reset, finish registering), per address: far
# more than a person needs, far too few to try tokens.
RESET_LINK_GETS = "30 per hour"


def _login_email() -> str:
    return email_key(request.form.get("email", ""))[:254]


def _account_key() -> str:
    """Rate-limit key for one account tried from one address."""
    return f"acct-ip:{_login_email()}:{request.remote_addr}"


def _account_only_key() -> str:
    """Rate-limit key for one account, whatever the address."""
    return f"acct:{_login_email()}"


def _known_device() -> bool:
    return is_known_device(_login_email())


def _failed(_response: Response) -> bool:
    """Deduct only when the view found the credentials wrong."""
    return bool(g.get("login_failed"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(PER_ADDRESS, methods=["POST"])
@limiter.limit(
    PER_ACCOUNT_AND_ADDRESS,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    PER_ACCOUNT,
    key_func=_account_only_key,
    methods=["POST"],
    deduct_when=_failed,
    exempt_when=_known_device,
)
def login() -> ResponseReturnValue:
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = sign_in.check_login(form.email.data or "", form.password.data or "")
        except accounts.AccountError as error:
            g.login_failed = error.field == "password"
            getattr(form, error.field).errors = [error.message]
        else:
            owed = mfa.needs_second_factor(user)
            sign_in.start_session(
                user,
                remember=bool(form.remember.data),
                new_device=not is_known_device(user.email),
                second_factor_owed=owed,
            )
            next_url = safe_next(request.args.get("next"))
            if owed:
                # The session is pending: the code (or enrolment) comes first.
                step = (
                    "auth.mfa_verify"
                    if mfa.is_enrolled(user.id)
                    else ("account.mfa_setup")
                )
                response = redirect(url_for(step, next=next_url))
            else:
                response = redirect(next_url or url_for("main.index"))
            remember_device(response, user.email)
            return response
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out (a POST with a CSRF token) and end the session on the server."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sign_in.end_session(accounts.current_account())
    flash("You are signed out.", "success")
    return redirect(url_for("auth.login"))


def _form_email_key(prefix: str) -> Callable[[], str]:
    """Rate-limit key for one target address (so nobody can flood an inbox)."""

    def key() -> str:
        return f"{prefix}:{_login_email()}"

    return key


def _after_answering(page: str, work: Callable[..., None], *args: Any) -> Response:
    """Answer with ``page``, then run ``work(*args)`` once the answer is sent.

    For forms whose work differs by address (an account holder gets one message,
    an unknown address another or none) while the answer must not: run inline,
    the time to answer told who has an account (median 15.9 ms against 6.7 ms
    for "Forgot your password?", 12.5 against 6.2 ms for registering).
    """
    response = make_response(page)

    @copy_current_request_context
    def run() -> None:
        work(*args)

    response.call_on_close(run)
    return response


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
@limiter.limit("5 per hour", key_func=_form_email_key("register"), methods=["POST"])
def register() -> ResponseReturnValue:
    """Step one of registering with a cohort's invite code: name and address.

    Every valid submission gets the same answer, "check your e-mail", whether or
    not an account uses the address; the e-mail says what happens next.
    """
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if request.method == "GET" and request.args.get("code"):
        form.invite_code.data = request.args["code"][:40]
    if form.validate_on_submit():
        try:
            cohort, email, name = registration.check_registration(
                form.invite_code.data or "",
                form.name.data or "",
                form.email.data or "",
            )
        except accounts.AccountError as error:
            getattr(form, error.field).errors = [error.message]
        else:
            return _after_answering(
                render_template(
                    "auth/check_email.html",
                    email=email,
                    purpose="register",
                    hours=registration.REGISTER_LINK_HOURS,
                ),
                registration.send_registration_mail,
                cohort.id,
                email,
                name,
            )
    return render_template("auth/register.html", form=form)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(RESET_LINK_GETS, methods=["GET"])
@limiter.limit("20 per hour", methods=["POST"])
def register_confirm(token: str) -> ResponseReturnValue:
    """Step two: the e-mailed link; choose a password and the account is made."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    pending = registration.pending_registration(token)
    if pending is None:
        return render_template("auth/reset_invalid.html", purpose="register"), 404
    form = RegisterPasswordForm()
    if form.validate_on_submit():
        try:
            user = registration.complete_registration(token, form.password.data or "")
        except accounts.AccountError as error:
            getattr(form, error.field).errors = [error.message]
        else:
            sign_in.start_session(user)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/register_confirm.html", form=form, pending=pending)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
@limiter.limit("3 per hour", key_func=_form_email_key("forgot"), methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    """The "Forgot your password?" form: the same answer for every address; an account
    holder gets a one-time, expiring link by e-mail."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        return _after_answering(
            render_template(
                "auth/check_email.html",
                email=email_key(email),
                purpose="reset",
                hours=current_app.config["RESET_LINK_HOURS"],
            ),
            resets.request_password_reset,
            email,
        )
    return render_template("auth/forgot.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change one's own password; other sessions of the account end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                accounts.current_account(),
                form.current.data or "",
                form.password.data or "",
            )
        except accounts.AccountError as error:
            getattr(form, error.field).errors = [error.message]
        else:
            flash(
                "Your password is changed. You were signed out everywhere else.",
                "success",
            )
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(RESET_LINK_GETS, methods=["GET"])
@limiter.limit("20 per hour", methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password through a one-time link sent by e-mail."""
    link = resets.find_reset_link(token)
    if link is None:
        return render_template("auth/reset_invalid.html"), 404
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            resets.use_reset_link(token, form.password.data or "")
        except accounts.AccountError as error:
            getattr(form, error.field).errors = [error.message]
        else:
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=link.user)


def _mfa_account_key() -> str:
    return f"mfa:{current_user.id}"


def _code_failed(_response: Response) -> bool:
    return bool(g.get("mfa_failed"))


# Six digits are a million codes and three are valid at a time: five wrong codes
# per quarter hour per account keeps a guesser's odds near 0.15% a day.
MFA_LIMIT = "5 per 15 minutes"


@bp.route("/login/mfa", methods=["GET", "POST"])
@login_required
@limiter.limit(
    MFA_LIMIT, key_func=_mfa_account_key, methods=["POST"], deduct_when=_code_failed
)
def mfa_verify() -> ResponseReturnValue:
    """Sign-in step two: a code from the authenticator app or a recovery code."""
    next_url = safe_next(request.args.get("next"))
    if not mfa.is_pending(current_user):
        return redirect(next_url or url_for("main.index"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = mfa.pass_second_factor(
                accounts.current_account(), form.code.data or ""
            )
        except accounts.AccountError as error:
            g.mfa_failed = True
            form.code.errors = [error.message]
        else:
            if method == "recovery":
                left = one_time_codes.recovery_codes_left(current_user.id)
                flash(
                    f"You signed in with a recovery code; {left} remain. Make new "
                    "ones on your two-step sign-in page if you are running low.",
                    "info",
                )
            return redirect(next_url or url_for("main.index"))
    status = 400 if form.errors else 200
    return render_template(
        "auth/mfa_verify.html", form=form, passkeys=mfa_has_passkeys()
    ), status


def mfa_has_passkeys() -> bool:
    from kaptrain.people.passkeys import has_passkeys

    return has_passkeys(current_user.id)


@bp.post("/login/mfa/passkey/options")
@login_required
def passkey_login_options() -> ResponseReturnValue:
    """WebAuthn sign-in options (JSON, for static/js/passkeys.js)."""
    from kaptrain.people.passkeys import authentication_options

    if not mfa.is_pending(current_user):
        return {"error": "You are already signed in."}, 400
    return Response(
        authentication_options(current_user.id), mimetype="application/json"
    )


@bp.post("/login/mfa/passkey")
@login_required
@limiter.limit(
    MFA_LIMIT, key_func=_mfa_account_key, methods=["POST"], deduct_when=_code_failed
)
def passkey_login() -> ResponseReturnValue:
    """Sign-in step two with a passkey (the script posts the browser's answer)."""
    from kaptrain.people import passkeys

    next_url = safe_next(request.args.get("next"))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if mfa.is_pending(current_user):
        try:
            passkeys.authenticate(
                accounts.current_account(),
                passkeys.parse_json_body(request.form.get("credential")),
            )
        except accounts.AccountError as error:
            g.mfa_failed = True
            flash(error.message, "error")
            return redirect(url_for("auth.mfa_verify", next=next_url))
    return redirect(next_url or url_for("main.index"))
