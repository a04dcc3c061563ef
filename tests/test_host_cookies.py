"""Production cookies carry the __Host- prefix (issue 13)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from kaptrain import create_app
from kaptrain.extensions import db
from kaptrain.models import User, UserRole
from kaptrain.people.passwords import hash_password
from kaptrain.platform.mail import stop_delivery
from tests.support.forms import csrf_token_from
from tests.support.settings import PASSWORD, TEST_PASSWORD_METHOD


@pytest.fixture
def production_app(monkeypatch, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    for name in list(os.environ):
        if name.startswith("KAPTRAIN_"):
            monkeypatch.delenv(name)
    modules = tmp_path / "modules"
    modules.mkdir()
    for name, value in {
        "ENV": "production",
        "SECRET_KEY": "production-secret-key-0123456789abcdef",
        "BASE_URL": "https://training.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "INSTANCE_DIR": str(tmp_path / "instance"),
        "MODULES_DIR": str(modules),
        "RATELIMIT_ENABLED": "false",
        "PASSWORD_METHOD": TEST_PASSWORD_METHOD,
    }.items():
        monkeypatch.setenv(f"KAPTRAIN_{name}", value)
    app = create_app({"MAIL_DIR": tmp_path / "mail"})
    with app.app_context():
        db.create_all()
        user = User(
            email="t@example.org", name="T", password_hash=hash_password(PASSWORD)
        )
        user.role_rows = [UserRole(role="trainee")]
        db.session.add(user)
        db.session.commit()
    yield app
    stop_delivery(app)
    with app.app_context():
        db.engine.dispose()


def _set_cookies(response: Any) -> dict[str, str]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        cookies[name] = header
    return cookies


def test_production_cookies_use_the_host_prefix(production_app):
    client = production_app.test_client()
    site = "https://training.example.org"
    token = csrf_token_from(client.get("/login", base_url=site).get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "email": "t@example.org",
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
        base_url=site,
        headers={"Referer": f"{site}/login"},  # Flask-WTF's check over HTTPS
    )
    assert response.status_code == 302
    cookies = _set_cookies(response)
    assert {"__Host-session", "__Host-remember_token"} <= set(cookies)
    assert "session" not in cookies and "remember_token" not in cookies
    for name in ("__Host-session", "__Host-remember_token"):
        header = cookies[name]
        # What browsers require of a __Host- cookie.
        assert "; Secure" in header and "; Path=/" in header
        assert "Domain=" not in header
        assert "; HttpOnly" in header and "SameSite=Lax" in header
    device = cookies["__Secure-kaptrain_device"]
    assert "; Secure" in device and "Path=/login" in device
    # The prefixed cookie is the one the app reads back.
    page = client.get("/account/password", base_url="https://training.example.org")
    assert page.status_code == 200


def test_development_over_http_keeps_plain_names(app, client, make_user, login):
    response = login(make_user())
    cookies = _set_cookies(response)
    assert "session" in cookies and "kaptrain_device" in cookies
    assert not any(name.startswith("__") for name in cookies)
