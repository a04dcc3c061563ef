"""Sessions end on the server: logout, password change, deactivation, reset.

Also the cookie flags and a fresh session id on every login.
"""

from __future__ import annotations

import datetime as dt
from http.cookies import SimpleCookie
from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.models import LoginSession, User, utcnow
from tests.support.settings import PASSWORD

from .support.mfa import sign_in

pytestmark = pytest.mark.content(None)

NEW_PASSWORD = "copper-heron-meadow-41"


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/account/password").status_code == 200


def _session_cookie(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _tokens(app, user) -> set[str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return set(
            db.session.scalars(
                select(LoginSession.token).where(LoginSession.user_id == user.id)
            )
        )


def test_a_copied_cookie_stops_working_after_logout(app, client, make_user, login):
    login(make_user())
    copied = _session_cookie(client)
    client.post("/logout")
    assert not _signed_in(client)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert not _signed_in(thief)


def test_a_copied_remember_cookie_stops_working_after_logout(app, client, make_user):
    user = make_user()
    client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    remember = client.get_cookie("remember_token")
    assert remember is not None
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("remember_token", remember.value)
    assert not _signed_in(thief)


def test_logout_deletes_only_that_browsers_session(app, make_user):
    user = make_user()
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        sign_in(client, user, PASSWORD)
    assert len(_tokens(app, user)) == 2
    first.post("/logout")
    assert len(_tokens(app, user)) == 1
    assert _signed_in(second)


def test_each_login_gets_a_new_session_token(app, client, make_user, login):
    user = make_user()
    seen = set()
    for _ in range(3):
        login(user)
        tokens = _tokens(app, user)
        assert len(tokens) == 1
        seen |= tokens
        client.post("/logout")
    assert len(seen) == 3


def test_login_clears_what_was_in_the_session_before(client, make_user, login):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(make_user())
    with client.session_transaction() as session:
        assert "planted" not in session


def test_password_change_ends_other_sessions_but_keeps_this_one(app, make_user):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    for client in (here, elsewhere):
        sign_in(client, user, PASSWORD)
    response = here.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert len(_tokens(app, user)) == 1


def test_password_change_needs_the_current_password(app, client, make_user, login):
    user = make_user()
    login(user)
    response = client.post(
        "/account/password",
        data={
            "current": "wrong-one-1",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert "That is not your current password." in response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(User, user.id).password_hash
    from werkzeug.security import check_password_hash

    assert check_password_hash(stored, PASSWORD)


def test_deactivation_by_an_admin_ends_the_users_sessions(app, make_user):
    admin, user = make_user("admin"), make_user()
    admin_client, user_client = app.test_client(), app.test_client()
    sign_in(admin_client, admin, PASSWORD)
    user_client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert _signed_in(user_client)
    response = admin_client.post(f"/admin/users/{user.id}/active")
    assert response.status_code == 302
    assert not _signed_in(user_client)
    assert _tokens(app, user) == set()
    # Reactivating does not bring the old sessions back.
    admin_client.post(f"/admin/users/{user.id}/active")
    assert not _signed_in(user_client)


def test_an_admin_cannot_deactivate_themself(app, client, make_user, login):
    admin = make_user("admin")
    login(admin)
    client.post(f"/admin/users/{admin.id}/active")
    assert _signed_in(client)
    with app.app_context():
        assert db.session.get(User, admin.id).active


def test_expired_session_is_not_accepted(app, client, make_user, login):
    user = make_user()
    login(user)
    with app.app_context():
        row = db.session.scalars(select(LoginSession)).one()
        row.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    assert not _signed_in(client)


def test_expired_rows_are_tidied_at_the_next_login(app, make_user):
    user = make_user()
    first = app.test_client()
    sign_in(first, user, PASSWORD)
    with app.app_context():
        db.session.scalars(select(LoginSession)).one().expires_at = utcnow()
        db.session.commit()
    app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1


# --- cookie flags ------------------------------------------------------------


def _set_cookies(response) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            cookies[name] = (morsel, header.lower())
    return cookies


def _login_remembered(client, user, **kwargs):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
        **kwargs,
    )


def test_cookies_are_httponly_and_samesite_lax(client, make_user):
    cookies = _set_cookies(_login_remembered(client, make_user()))
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        morsel, raw = cookies[name]
        assert "httponly" in raw, name
        assert morsel["samesite"].lower() == "lax", name
        assert not morsel["secure"], name


def test_remember_me_lasts_seven_days(app, client, make_user):
    user = make_user()
    morsel, _raw = _set_cookies(_login_remembered(client, user))["remember_token"]
    expires = dt.datetime.strptime(
        morsel["expires"], "%a, %d %b %Y %H:%M:%S GMT"
    ).replace(tzinfo=dt.UTC)
    assert abs(expires - (utcnow() + dt.timedelta(days=7))) < dt.timedelta(minutes=2)
    with app.app_context():
        row = db.session.scalars(select(LoginSession)).one()
        assert abs(row.expires_at - expires) < dt.timedelta(minutes=2)


def test_without_remember_me_no_remember_cookie_and_a_short_session(
    app, client, make_user, login
):
    response = login(make_user())
    assert "remember_token" not in _set_cookies(response)
    with app.app_context():
        row = db.session.scalars(select(LoginSession)).one()
        assert row.expires_at - utcnow() <= dt.timedelta(hours=12)


class TestHttpsCookies:
    @pytest.fixture
    def app_config(self, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
        monkeypatch.setenv("KAPTRAIN_HTTPS", "true")
        return {}

    def test_cookies_are_secure_when_https_is_on(self, app, client, make_user):
        assert app.config["HTTPS"] is True
        response = _login_remembered(client, make_user(), base_url="https://localhost")
        cookies = _set_cookies(response)
        # Issue 13: over HTTPS the cookies carry the __Host- prefix.
        for name in ("__Host-session", "__Host-remember_token"):
            morsel, raw = cookies[name]
            assert morsel["secure"], name
            assert "httponly" in raw and morsel["samesite"].lower() == "lax", name
