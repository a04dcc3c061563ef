"""Security headers on every response, error pages included (ASVS V3.4)."""

from __future__ import annotations

import pytest

from kaptrain.extensions import db
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.content(None)


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    csp = _csp(response)
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    script_src = csp.get("script-src", csp["default-src"])
    assert "unsafe-inline" not in script_src
    assert "unsafe-eval" not in script_src
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in {
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    }
    assert response.headers["X-Frame-Options"] == "DENY"


def _boom_app(app):  # type: ignore[no-untyped-def]
    @app.get("/test-only/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("test-only failure")

    return app


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/", 200),
        ("get", "/login", 200),
        ("get", "/healthz", 200),
        ("get", "/static/css/kaptrain.css", 200),
        ("get", "/no-such-page", 404),
        ("get", "/logout", 405),
        ("get", "/admin/users", 302),
        ("get", "/test-only/boom", 500),
    ],
)
def test_headers_on_pages_and_errors(app, method, path, status):
    client = _boom_app(app).test_client()
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert_security_headers(response)


class TestCsrfFailure:
    @pytest.fixture
    def app_config(self, tmp_path):  # type: ignore[no-untyped-def]
        return {"WTF_CSRF_ENABLED": True}

    def test_headers_on_a_csrf_failure(self, client):
        response = client.post("/login", data={"email": "a@example.org"})
        assert response.status_code == 400
        assert_security_headers(response)


def test_headers_on_a_403_and_signed_in_pages(client, make_user, login):
    login(make_user())
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert_security_headers(response)
    assert_security_headers(client.get("/account/password"))


def test_no_hsts_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_hsts_over_https(client):
    response = client.get("/login", base_url="https://localhost")
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts


def test_hsts_on_https_error_pages(client):
    response = client.get("/no-such-page", base_url="https://localhost")
    assert response.status_code == 404
    assert "Strict-Transport-Security" in response.headers


@pytest.mark.parametrize(
    "path", ["/journal", "/journal/1", "/account/password", "/account/anything"]
)
def test_private_paths_are_never_cached(client, make_user, login, path):
    login(make_user())
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_are_not_stored_by_shared_caches(client):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    assert "private" in client.get("/login").headers["Cache-Control"]


def test_the_login_form_response_is_not_cached_after_a_failed_attempt(
    client, make_user
):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "x"})
    assert "public" not in response.headers.get("Cache-Control", "")
    assert PASSWORD not in response.get_data(as_text=True)


class TestBehindAProxy:
    """With KAPTRAIN_TRUSTED_PROXIES=1 the proxy's client address and scheme count."""

    @pytest.fixture
    def app_config(self, tmp_path):  # type: ignore[no-untyped-def]
        return {"TRUSTED_PROXIES": 1}

    def test_forwarded_proto_https_gets_hsts(self, client):
        response = client.get(
            "/login",
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
        )
        assert "Strict-Transport-Security" in response.headers

    def test_forwarded_address_is_audited(self, app, client, make_user):
        from sqlalchemy import select

        from kaptrain.models import AuditEvent

        user = make_user()
        client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7"},
        )
        with app.app_context():
            # Issue 13 adds a new_device_login event beside the login.
            event = db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "login")
            ).one()
            assert event.ip == "203.0.113.7"


def test_forwarded_headers_are_ignored_without_trusted_proxies(app, client, make_user):
    from sqlalchemy import select

    from kaptrain.models import AuditEvent

    user = make_user()
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    assert "Strict-Transport-Security" not in response.headers
    with app.app_context():
        login = select(AuditEvent).where(AuditEvent.action == "login")
        assert db.session.scalars(login).one().ip == "127.0.0.1"
