"""Signing in and out, the `next` parameter, and CSRF on every state change."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from kaptrain.web.auth.views import safe_next
from tests.support.forms import csrf_token_from
from tests.support.settings import PASSWORD

from .support.mfa import sign_in

pytestmark = pytest.mark.content(None)


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/account/password").status_code == 200


def test_login_signs_in_and_goes_home(client, make_user):
    user = make_user("supervisor")
    # Staff pass two-step sign-in after the password (issue 13), then go home.
    response = sign_in(client, user, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _signed_in(client)


def test_login_ignores_case_and_spaces_in_the_email(client, make_user):
    user = make_user()
    response = client.post(
        "/login", data={"email": f"  {user.email.upper()} ", "password": PASSWORD}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("known", [True, False], ids=["wrong-password", "unknown"])
def test_wrong_credentials_get_one_message_and_keep_the_email(client, make_user, known):
    user = make_user()
    email = user.email if known else "nobody@example.org"
    response = client.post("/login", data={"email": email, "password": "not-it-123"})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "The email address or password is not right" in page
    assert f'value="{email}"' in page
    assert "not-it-123" not in page
    assert not _signed_in(client)


def test_empty_fields_get_messages(client):
    page = client.post("/login", data={"email": "", "password": ""}).get_data(
        as_text=True
    )
    assert "Enter your email address" in page
    assert "Enter your password." in page


def test_inactive_user_is_refused_even_with_the_right_password(client, make_user):
    user = make_user(active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "This account is deactivated" in response.get_data(as_text=True)
    assert not _signed_in(client)


def test_inactive_user_with_wrong_password_learns_nothing(client, make_user):
    user = make_user(active=False)
    page = client.post(
        "/login", data={"email": user.email, "password": "not-it-123"}
    ).get_data(as_text=True)
    assert "deactivated" not in page
    assert "is not right" in html.unescape(page)


def test_logout_is_a_post_that_signs_out(client, make_user, login):
    login(make_user())
    assert client.get("/logout").status_code == 405
    assert _signed_in(client)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not _signed_in(client)


def test_signed_in_visit_to_login_goes_home(client, make_user, login):
    login(make_user())
    assert client.get("/login").headers["Location"] == "/"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/account",
        "https://evil.example",
        "https://evil.example/",
        "http:evil",
        "http:/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "%2F%2Fevil",
        "%2f%2fevil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\tevil",
        "/\x00evil",
        "/\nhttps://evil.example",
        "\r\n//evil.example",
        " //evil.example",
        "/" + "a" * 2001,
    ],
)
def test_next_cannot_leave_the_site(client, make_user, target):
    user = make_user()
    response = client.post(
        "/login?next=" + quote(target, safe=""),
        data={"email": user.email, "password": PASSWORD},
    )
    assert safe_next(target) is None
    if "\x00" in target:  # a request carrying NUL is refused whole (database.py)
        assert response.status_code == 400
        return
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/"


@pytest.mark.parametrize(
    "target", ["/account/password", "/admin/users?q=ada&page=2", "/%2F%2Fevil"]
)
def test_next_keeps_local_paths(client, make_user, target):
    user = make_user()
    response = client.post(
        "/login?next=" + quote(target, safe=""),
        data={"email": user.email, "password": PASSWORD},
    )
    location = response.headers["Location"]
    assert location == target
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc


def test_protected_page_sends_anonymous_to_login_with_next(client, make_user):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    user = make_user()
    follow = client.post(
        response.headers["Location"], data={"email": user.email, "password": PASSWORD}
    )
    assert follow.headers["Location"] == "/account/password"


# --- CSRF -------------------------------------------------------------------


@pytest.fixture
def csrf_app_config(tmp_path: Path) -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": True}


class TestCsrf:
    @pytest.fixture
    def app_config(self, csrf_app_config):  # type: ignore[no-untyped-def]
        return csrf_app_config

    def _login_with_token(self, client, user) -> None:  # type: ignore[no-untyped-def]
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302

    def test_login_with_a_token_works(self, client, make_user):
        self._login_with_token(client, make_user())
        assert _signed_in(client)

    @pytest.mark.parametrize("token", [None, "forged-token"])
    def test_login_without_a_valid_token_is_400(self, client, make_user, token):
        user = make_user()
        data = {"email": user.email, "password": PASSWORD}
        if token:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.status_code == 400
        assert "The form had expired" in response.get_data(as_text=True)
        assert not _signed_in(client)

    def test_register_without_token_is_400(self, client, make_cohort):
        cohort = make_cohort()
        response = client.post(
            "/register",
            data={
                "invite_code": cohort.invite_code,
                "name": "Ada",
                "email": "ada@example.org",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        )
        assert response.status_code == 400

    def test_logout_without_token_is_400_and_keeps_the_session(self, client, make_user):
        self._login_with_token(client, make_user())
        assert client.post("/logout").status_code == 400
        assert _signed_in(client)

    def test_logout_with_token_works(self, client, make_user):
        self._login_with_token(client, make_user())
        token = csrf_token_from(client.get("/account/password").get_data(as_text=True))
        assert client.post("/logout", data={"csrf_token": token}).status_code == 302
        assert not _signed_in(client)

    def test_password_change_without_token_is_400(self, client, make_user):
        self._login_with_token(client, make_user())
        response = client.post(
            "/account/password",
            data={
                "current": PASSWORD,
                "password": "brand-new-river-stone-5",
                "confirm": "brand-new-river-stone-5",
            },
        )
        assert response.status_code == 400

    @pytest.mark.parametrize(
        "path", ["/admin/users", "/admin/users/{id}", "/admin/users/{id}/active"]
    )
    def test_admin_forms_without_token_are_400(self, client, make_user, path):
        admin = make_user("admin")
        target = make_user()
        self._login_with_token(client, admin)
        response = client.post(
            path.format(id=target.id),
            data={"name": "X", "email": "x@example.org", "roles": ["admin"]},
        )
        assert response.status_code == 400
