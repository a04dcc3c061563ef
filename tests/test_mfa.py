"""Two-step sign-in (issue 13): enrolment, codes, replay, recovery codes, the
gate that refuses a session without its second factor, admin reset and
re-authentication before sensitive admin actions."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest
from flask import Flask
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.models import (
    AuditEvent,
    LoginSession,
    RecoveryCode,
    TotpCredential,
    User,
    UserRole,
)
from tests.support.settings import PASSWORD

from .support.mfa import (
    CODES,
    age_reauth,
    current_step,
    known_device,
    needs_code,
    pass_code,
    sign_in,
)

pytestmark = pytest.mark.content(None)


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        )


def _password_step(client: Any, user: Any) -> Any:
    known_device(client, user.email)
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def _enrol_through_the_page(client: Any) -> tuple[str, list[str], str]:
    """Scan (read) the secret from the setup page, confirm a code; returns the
    secret, the recovery codes shown, and the page."""
    page = client.get("/account/mfa/setup").get_data(as_text=True)
    shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert shown, "the secret is not shown as text"
    secret = shown.group(1).replace(" ", "")
    response = client.post("/account/mfa/setup", data={"code": CODES.next(secret)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    codes = re.findall(r"<li><code>([A-Z0-9-]{19})</code></li>", html)
    return secret, codes, html


# ------------------------------------------------------------------- enrolment


def test_staff_without_mfa_are_sent_to_enrolment_after_the_password(
    app, client, make_user, mailbox
):
    user = make_user("supervisor", mfa=False)
    response = _password_step(client, user)
    assert urlsplit(response.headers["Location"]).path == "/account/mfa/setup"
    page = client.get("/account/mfa/setup").get_data(as_text=True)
    assert re.search(r'<svg role="img"[^>]* class="qr"', page)
    assert "<title>QR code" in page
    assert "<script" not in page  # the QR code needs no JavaScript

    secret, codes, _html = _enrol_through_the_page(client)

    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        assert db.session.get(TotpCredential, user.id).secret == secret
        hashes = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
        ).all()
    assert len(hashes) == 10
    assert not {c.replace("-", "") for c in codes} & set(hashes)  # stored hashed
    assert client.get("/supervise/cohorts").status_code == 200
    assert len(_events(app, "mfa_enrolled")) == 1
    (message,) = mailbox.wait_for(1)
    assert message["To"] == user.email
    assert "Two-step sign-in was turned on" in message["Subject"]


def test_a_wrong_enrolment_code_keeps_the_same_secret(app, client, make_user):
    user = make_user("author", mfa=False)
    _password_step(client, user)
    first = client.get("/account/mfa/setup").get_data(as_text=True)
    response = client.post("/account/mfa/setup", data={"code": "123"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "That code does not match" in page
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', first).group(1)
    assert secret in page  # the app already holds it: do not change it
    assert client.get("/author/analysis").status_code == 302
    with app.app_context():
        assert db.session.get(TotpCredential, user.id) is None


def test_enrolling_twice_keeps_one_credential(app, client, make_user):
    """A double submission is sent on; a true race meets the primary key."""
    from kaptrain.people import mfa
    from kaptrain.people.accounts import AccountError

    user = make_user("supervisor", mfa=False)
    _password_step(client, user)
    page = client.get("/account/mfa/setup").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1)
    secret = secret.replace(" ", "")
    data = {"code": CODES.next(secret)}
    assert client.post("/account/mfa/setup", data=data).status_code == 200
    assert client.post("/account/mfa/setup", data=data).status_code == 302
    token = _token(app, user.id)
    with app.test_request_context():
        account = db.session.get(User, user.id)
        account.session_token = token
        # The loser of a race has passed every check and reaches the INSERT.
        with pytest.raises(AccountError, match="already set up"):
            mfa.enrol_totp(account, secret, CODES.next(secret))
        assert db.session.scalar(select(func.count()).select_from(TotpCredential)) == 1
        assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 10


# -------------------------------------------------------------- signing in


def test_an_enrolled_account_must_enter_a_code(app, client, make_user):
    user = make_user("supervisor")
    response = _password_step(client, user)
    assert needs_code(response)
    assert client.get("/supervise/cohorts").headers["Location"].startswith("/login/mfa")
    pass_code(client, user.totp_secret, response.headers["Location"])
    assert client.get("/supervise/cohorts").status_code == 200
    assert [e.detail for e in _events(app, "mfa_passed")] == ["totp"]


def test_a_wrong_code_is_refused_and_recorded(app, client, make_user):
    user = make_user("admin")
    _password_step(client, user)
    response = client.post("/login/mfa", data={"code": "12345x"})
    assert response.status_code == 400
    assert "That code is not right" in response.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 302
    (event,) = _events(app, "mfa_failed")
    assert event.subject_id == user.id and event.detail == "wrong code"


def test_a_code_used_once_is_refused_in_its_window(app, make_user):
    user = make_user("supervisor")
    totp = pyotp.TOTP(user.totp_secret)
    step = current_step(user.totp_secret)
    CODES.mark_used(user.totp_secret, step)
    code = totp.generate_otp(step)
    first, second = app.test_client(), app.test_client()
    _password_step(first, user)
    assert first.post("/login/mfa", data={"code": code}).status_code == 302
    _password_step(second, user)
    response = second.post("/login/mfa", data={"code": code})
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)
    assert second.get("/supervise/cohorts").status_code == 302
    assert [e.detail for e in _events(app, "mfa_failed")] == ["replay"]
    # An older code than the last one accepted is refused too.
    third = app.test_client()
    _password_step(third, user)
    older = totp.generate_otp(step - 1)
    assert third.post("/login/mfa", data={"code": older}).status_code == 400


def test_a_recovery_code_works_once(app, make_user, mailbox):
    user = make_user("supervisor", mfa=False)
    client = app.test_client()
    _password_step(client, user)
    _secret, codes, _html = _enrol_through_the_page(client)
    mailbox.wait_for(1)
    first, second = app.test_client(), app.test_client()
    _password_step(first, user)
    response = first.post("/login/mfa", data={"code": codes[3].lower()})
    assert response.status_code == 302
    assert first.get("/supervise/cohorts").status_code == 200
    _password_step(second, user)
    again = second.post("/login/mfa", data={"code": codes[3]})
    assert again.status_code == 400
    with app.app_context():
        left = db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
    assert left == 9
    messages = mailbox.wait_for(2)
    assert "recovery code was used" in messages[1]["Subject"]


# ------------------------------------------------------------------- the gate


def _url_for_rule(rule: Any) -> str:
    """The rule with every argument filled in with something plausible."""
    values = {}
    for name, converter in rule._converters.items():
        if hasattr(converter, "num_convert"):
            values[name] = 1
        elif getattr(converter, "items", None):  # any(a, b): the first choice
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


OPEN = {"static", "main.healthz", "main.support", "auth.logout"}


@pytest.mark.parametrize("enrolled", [True, False], ids=["code-owed", "not-enrolled"])
@pytest.mark.parametrize("role", ["supervisor", "author", "admin"])
def test_every_route_refuses_a_session_without_its_second_factor(
    app, client, make_user, role, enrolled
):
    """Walk the whole URL map with a staff session that has only passed its
    password: nothing answers with success, and pages send it to the one step
    it owes (staff routes included; each rule and method is checked)."""
    user = make_user(role, mfa=enrolled)
    _password_step(client, user)
    allowed = (
        {"auth.mfa_verify", "auth.passkey_login_options", "auth.passkey_login"}
        if enrolled
        else {"account.mfa_setup"}
    )
    owed = "/login/mfa" if enrolled else "/account/mfa/setup"
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN or rule.endpoint in allowed:
            continue
        url = _url_for_rule(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            status = response.status_code
            where = f"{method} {rule.rule}"
            if method == "GET":
                assert status == 302, where
                assert urlsplit(response.headers["Location"]).path == owed, where
            else:
                assert status == 401, where
            checked += 1
    assert checked > 60
    with app.app_context():
        assert db.session.get(LoginSession, _token(app, user.id)).mfa_at is None


def _token(app: Flask, user_id: int) -> str:
    with app.app_context():
        return db.session.scalars(
            select(LoginSession.token).where(LoginSession.user_id == user_id)
        ).one()


def test_json_callers_get_401_from_a_pending_session(client, make_user):
    user = make_user("supervisor")
    _password_step(client, user)
    response = client.get("/supervise/cohorts", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_a_trainee_promoted_while_signed_in_must_enrol_before_staff_pages(
    app, client, make_user, login
):
    user = make_user()
    login(user)
    assert client.get("/modules").status_code == 200
    with app.app_context():
        db.session.add(UserRole(user_id=user.id, role="supervisor"))
        db.session.commit()
    response = client.get("/supervise/cohorts")
    assert urlsplit(response.headers["Location"]).path == "/account/mfa/setup"


def test_the_header_shows_no_navigation_to_a_pending_session(client, make_user):
    user = make_user("admin")
    _password_step(client, user)
    page = client.get("/login/mfa").get_data(as_text=True)
    assert "/admin/users" not in page and "Sign out" in page


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}],
)
def test_wrong_codes_are_rate_limited_per_account(app, make_user):
    from kaptrain.web.auth.views import MFA_LIMIT

    user = make_user("supervisor")
    allowed = int(MFA_LIMIT.split()[0])
    first = app.test_client()
    _password_step(first, user)
    for _ in range(allowed):
        assert first.post("/login/mfa", data={"code": "00000x"}).status_code == 400
    assert first.post("/login/mfa", data={"code": "00000x"}).status_code == 429
    # A new session of the same account does not start a new allowance.
    second = app.test_client()
    _password_step(second, user)
    response = second.post("/login/mfa", data={"code": CODES.next(user.totp_secret)})
    assert response.status_code == 429


# ---------------------------------------------------------------- trainees


def test_mfa_is_optional_for_trainees_and_then_asked_for(app, make_user, mailbox):
    user = make_user()
    client = app.test_client()
    response = _password_step(client, user)
    assert response.headers["Location"] == "/"  # no code needed
    assert "Set up two-step sign-in" in client.get("/account/mfa").get_data(
        as_text=True
    )
    secret, codes, _html = _enrol_through_the_page(client)
    assert len(codes) == 10
    later = app.test_client()
    assert needs_code(_password_step(later, user))
    assert later.get("/modules").status_code == 302
    user.totp_secret = secret
    assert sign_in(app.test_client(), user, PASSWORD).headers["Location"] == "/"


def test_a_trainee_can_turn_mfa_off_after_confirming(app, client, make_user, mailbox):
    user = make_user(mfa=True)
    sign_in(client, user, PASSWORD)
    assert client.post("/account/mfa/off").status_code == 302
    with app.app_context():
        assert db.session.get(TotpCredential, user.id) is None
    assert [e.detail for e in _events(app, "mfa_changed")] == ["turned off"]
    assert "turned off" in mailbox.wait_for(1)[0]["Subject"]


def test_staff_cannot_turn_mfa_off(app, client, make_user, login):
    user = make_user("supervisor")
    login(user)
    response = client.post("/account/mfa/off", follow_redirects=True)
    assert "Your role requires two-step sign-in" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(TotpCredential, user.id) is not None


def test_new_recovery_codes_replace_the_old(app, client, make_user, mailbox):
    user = make_user("supervisor", mfa=False)
    _password_step(client, user)
    _secret, old, _html = _enrol_through_the_page(client)
    page = client.post("/account/mfa/recovery-codes").get_data(as_text=True)
    new = re.findall(r"<li><code>([A-Z0-9-]{19})</code></li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    other = app.test_client()
    _password_step(other, user)
    assert other.post("/login/mfa", data={"code": old[0]}).status_code == 400
    assert other.post("/login/mfa", data={"code": new[0]}).status_code == 302


# ------------------------------------------------------- re-authentication


def _roles(app: Flask, user_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.get(User, user_id).roles)


def test_role_changes_need_a_recent_confirmation(app, client, make_user, login):
    admin, target = make_user("admin"), make_user()
    login(admin)
    age_reauth(app, admin.id)
    url = f"/admin/users/{target.id}"
    response = client.post(url, data={"roles": ["supervisor"]})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/confirm" and "next=" in location.query
    assert _roles(app, target.id) == {"trainee"}
    assert client.get(url).status_code == 200  # looking needs no confirmation

    wrong = client.post("/account/confirm", data={"password": "not-it-123", "code": ""})
    assert wrong.status_code == 400
    no_code = client.post("/account/confirm", data={"password": PASSWORD})
    assert "Enter the 6-digit code" in no_code.get_data(as_text=True)
    confirmed = client.post(
        f"/account/confirm?next={url}",
        data={"password": PASSWORD, "code": CODES.next(admin.totp_secret)},
    )
    assert confirmed.headers["Location"] == url
    assert client.post(url, data={"roles": ["supervisor"]}).status_code == 302
    assert _roles(app, target.id) == {"supervisor"}
    assert len(_events(app, "reauth")) == 1
    assert [e.detail for e in _events(app, "reauth_failed")] == ["password"]


@pytest.mark.parametrize("action", ["mfa-reset", "reset-email", "active"])
def test_other_sensitive_admin_actions_need_a_recent_confirmation(
    app, client, make_user, login, action
):
    admin, target = make_user("admin"), make_user("supervisor")
    login(admin)
    age_reauth(app, admin.id)
    response = client.post(f"/admin/users/{target.id}/{action}")
    assert urlsplit(response.headers["Location"]).path == "/account/confirm"
    with app.app_context():
        assert db.session.get(TotpCredential, target.id) is not None
        assert db.session.get(User, target.id).active


# ------------------------------------------------------------- admin reset


def test_admin_resets_someones_mfa(app, make_user, login, client, mailbox):
    admin, holder = make_user("admin"), make_user("supervisor", name="Robin Holder")
    holder_client = app.test_client()
    sign_in(holder_client, holder, PASSWORD)
    login(admin)
    response = client.post(f"/admin/users/{holder.id}/mfa-reset")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(TotpCredential, holder.id) is None
        assert not db.session.scalars(
            select(RecoveryCode).where(RecoveryCode.user_id == holder.id)
        ).all()
    # Signed out everywhere, and sent to enrol again at the next sign-in.
    assert holder_client.get("/supervise/cohorts").status_code == 302
    again = _password_step(app.test_client(), holder)
    assert urlsplit(again.headers["Location"]).path == "/account/mfa/setup"
    (event,) = _events(app, "mfa_reset")
    assert event.actor_id == admin.id and event.subject_id == holder.id
    (message,) = mailbox.to(holder.email) or mailbox.wait_for(1)
    assert "two-step sign-in was reset" in message["Subject"]
    assert "If you did not ask for this" in mailbox.text(message)


def test_an_admin_cannot_reset_their_own_mfa(app, client, make_user, login):
    admin = make_user("admin")
    login(admin)
    page = client.post(
        f"/admin/users/{admin.id}/mfa-reset", follow_redirects=True
    ).get_data(as_text=True)
    assert "ask another administrator" in page
    with app.app_context():
        assert db.session.get(TotpCredential, admin.id) is not None


def test_the_admin_user_page_offers_the_reset_only_when_enrolled(
    client, make_user, login
):
    admin, enrolled, plain = make_user("admin"), make_user("author"), make_user()
    login(admin)
    assert "Reset two-step sign-in" in client.get(
        f"/admin/users/{enrolled.id}"
    ).get_data(as_text=True)
    assert "Reset two-step sign-in" not in client.get(
        f"/admin/users/{plain.id}"
    ).get_data(as_text=True)


def test_mfa_failed_shows_on_the_audit_page(app, make_user, login, client):
    supervisor, admin = make_user("supervisor"), make_user("admin")
    other = app.test_client()
    _password_step(other, supervisor)
    other.post("/login/mfa", data={"code": "999999x"})
    login(admin)
    page = client.get("/admin/audit?action=mfa_failed").get_data(as_text=True)
    assert supervisor.email in page and "mfa failed" in page


def test_the_data_export_lists_second_factors_without_secrets(app, make_user):
    from kaptrain.people import data_export

    user = make_user("supervisor")
    with app.app_context():
        data = data_export.export_user_data(user.id)
        text = str(data)
        secret = db.session.get(TotpCredential, user.id).secret
    assert [row["method"] for row in data["two_step_sign_in"]] == ["authenticator app"]
    assert secret not in text


def test_own_mfa_changes_need_a_recent_confirmation(app, client, make_user, login):
    from kaptrain.people import one_time_codes

    user = make_user("supervisor")
    login(user)
    age_reauth(app, user.id)
    with app.app_context():
        one_time_codes.replace_recovery_codes(user.id)
        db.session.commit()
        before = set(
            db.session.scalars(
                select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
            )
        )
    response = client.post("/account/mfa/recovery-codes")
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/confirm" and "next=" in location.query
    with app.app_context():
        after = set(
            db.session.scalars(
                select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
            )
        )
    assert after == before and len(before) == 10
    page = client.get("/account/mfa").get_data(as_text=True)
    assert "confirm it is you" in page
