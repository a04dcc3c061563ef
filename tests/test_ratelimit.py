"""Login rate limits slow an attacker but let the real user in.

Every test runs three times: on Flask-Limiter's memory storage, on kaptrain's
shared SQLite counter file (the default without Redis), and on the local Redis
(database 15, keys under a per-test prefix that is deleted afterwards). Redis
being unreachable skips those runs locally but fails them in CI (CI=true).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaptrain.web.auth.views import PER_ACCOUNT, PER_ACCOUNT_AND_ADDRESS, PER_ADDRESS
from tests.support.settings import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/15"
ATTACKER = "198.51.100.66"
REAL_USER_ADDRESS = "203.0.113.10"


def _amount(limit: str) -> int:
    return int(limit.split()[0])


PER_ACCOUNT_N = _amount(PER_ACCOUNT)
PER_PAIR_N = _amount(PER_ACCOUNT_AND_ADDRESS)
PER_ADDRESS_N = _amount(PER_ADDRESS)


def _redis_or_skip() -> Any:
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable in CI: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({error}); not in CI")
    return connection


@pytest.fixture(params=["memory", "sqlite", "redis"])
def app_config(request, tmp_path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    modules = tmp_path / "modules"
    modules.mkdir()
    config: dict[str, Any] = {"MODULES_DIR": modules, "RATELIMIT_ENABLED": True}
    if request.param == "memory":
        config["RATELIMIT_STORAGE_URI"] = "memory://"
    elif request.param == "sqlite":
        from kaptrain.platform.ratelimit_storage import storage_uri

        config["RATELIMIT_STORAGE_URI"] = storage_uri(tmp_path / "ratelimits.db")
    else:
        _redis_or_skip().close()
        config["RATELIMIT_STORAGE_URI"] = REDIS_URL
    return config


@pytest.fixture(autouse=True)
def _own_keys(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Count under a prefix of this test's own, and delete its Redis keys after.

    Flask-Limiter's extension object is module-global and keeps the first
    RATELIMIT_KEY_PREFIX it was given, so the prefix is set on it directly.
    """
    from kaptrain.extensions import limiter

    prefix = f"kaptrain-test-{uuid.uuid4().hex}"
    previous = limiter._key_prefix
    limiter._key_prefix = prefix
    try:
        yield
    finally:
        limiter._key_prefix = previous
        if app.config["RATELIMIT_STORAGE_URI"].startswith("redis://"):
            connection = _redis_or_skip()
            keys = list(connection.scan_iter(match=f"*{prefix}*"))
            if keys:
                connection.delete(*keys)
            connection.close()


def _post_login(client, email: str, password: str, address: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _assert_limited(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 3600
    page = response.get_data(as_text=True)
    assert "Too many attempts" in page
    assert "<h1>" in page and "Go to the home page" in page


def test_storage_is_the_configured_one(app, make_user):
    from kaptrain.extensions import limiter

    assert limiter.enabled
    _post_login(app.test_client(), make_user().email, "guess-1", ATTACKER)
    if "redis" in app.config["RATELIMIT_STORAGE_URI"]:
        connection = _redis_or_skip()
        assert list(connection.scan_iter(match=f"*{limiter._key_prefix}*{ATTACKER}*"))
        connection.close()
    expected = app.config["RATELIMIT_STORAGE_URI"].split(":")[0].split("+")[-1]
    assert type(limiter.storage).__name__.lower().startswith(expected)


def test_attacker_is_slowed_and_real_user_still_signs_in(app, make_user):
    victim = make_user()
    attacker = app.test_client()
    for attempt in range(PER_PAIR_N):
        response = _post_login(attacker, victim.email, f"guess-{attempt}", ATTACKER)
        assert response.status_code == 200, attempt
    _assert_limited(_post_login(attacker, victim.email, "guess-x", ATTACKER))
    # Even the right password is refused from the limited address for now.
    assert _post_login(attacker, victim.email, PASSWORD, ATTACKER).status_code == 429

    real_user = app.test_client()
    response = _post_login(real_user, victim.email, PASSWORD, REAL_USER_ADDRESS)
    assert response.status_code == 302
    assert real_user.get("/account/password").status_code == 200


def test_the_attacker_can_still_sign_in_to_another_account_from_that_address(
    app, make_user
):
    victim, other = make_user(), make_user()
    client = app.test_client()
    for attempt in range(PER_PAIR_N):
        _post_login(client, victim.email, f"guess-{attempt}", ATTACKER)
    assert _post_login(client, victim.email, "guess-x", ATTACKER).status_code == 429
    assert _post_login(client, other.email, PASSWORD, ATTACKER).status_code == 302


def test_successful_logins_do_not_count_against_the_account(app, make_user):
    user = make_user()
    client = app.test_client()
    for attempt in range(PER_PAIR_N + 5):
        response = _post_login(client, user.email, PASSWORD, REAL_USER_ADDRESS)
        assert response.status_code == 302, attempt
        client.post("/logout", environ_base={"REMOTE_ADDR": REAL_USER_ADDRESS})


def test_a_limited_attackers_429s_do_not_lock_the_account(app, make_user):
    """Hammering while limited must not fill the per-account bucket."""
    victim = make_user()
    addresses = [f"198.51.100.{n}" for n in range(1, PER_ACCOUNT_N // PER_PAIR_N)]
    extra = 3
    for address in addresses:
        client = app.test_client()
        for attempt in range(PER_PAIR_N):
            _post_login(client, victim.email, f"guess-{attempt}", address)
        for _ in range(extra):
            assert _post_login(client, victim.email, "x", address).status_code == 429
    # Failures so far: below the per-account limit; with the 429s counted too it
    # would be over, and the real user (a new browser) would be locked out.
    assert len(addresses) * PER_PAIR_N < PER_ACCOUNT_N
    assert len(addresses) * (PER_PAIR_N + extra) > PER_ACCOUNT_N
    real_user = app.test_client()
    response = _post_login(real_user, victim.email, PASSWORD, REAL_USER_ADDRESS)
    assert response.status_code == 302


def test_spread_out_guessing_hits_the_per_account_limit_but_not_a_known_browser(
    app, make_user
):
    victim = make_user()
    real_user = app.test_client()
    assert (
        _post_login(real_user, victim.email, PASSWORD, REAL_USER_ADDRESS).status_code
        == 302
    )
    real_user.post("/logout", environ_base={"REMOTE_ADDR": REAL_USER_ADDRESS})

    for n in range(PER_ACCOUNT_N // PER_PAIR_N):
        client = app.test_client()
        for attempt in range(PER_PAIR_N):
            response = _post_login(
                client, victim.email, f"guess-{attempt}", f"192.0.2.{n + 1}"
            )
            assert response.status_code == 200
    # A fresh address and browser: the account has seen too many failures.
    newcomer = app.test_client()
    _assert_limited(_post_login(newcomer, victim.email, "guess-y", "192.0.2.200"))
    # The browser the real user signed in with before is let through.
    response = _post_login(real_user, victim.email, PASSWORD, REAL_USER_ADDRESS)
    assert response.status_code == 302


def test_a_forged_device_cookie_is_ignored(app, make_user):
    victim = make_user()
    for n in range(PER_ACCOUNT_N // PER_PAIR_N):
        client = app.test_client()
        for attempt in range(PER_PAIR_N):
            _post_login(client, victim.email, f"guess-{attempt}", f"192.0.2.{n + 1}")
    forger = app.test_client()
    forger.set_cookie("kaptrain_device", "forged.value.here", path="/login")
    assert _post_login(forger, victim.email, PASSWORD, "192.0.2.201").status_code == 429


def test_one_address_is_limited_whatever_the_account(app, make_user):
    client = app.test_client()
    for attempt in range(PER_ADDRESS_N):
        response = _post_login(
            client, f"someone{attempt}@example.org", "guess-1", ATTACKER
        )
        assert response.status_code == 200, attempt
    _assert_limited(_post_login(client, "fresh@example.org", "guess-1", ATTACKER))
    other = app.test_client()
    user = make_user()
    assert (
        _post_login(other, user.email, PASSWORD, REAL_USER_ADDRESS).status_code == 302
    )


def test_login_page_itself_is_not_limited(app):
    client = app.test_client()
    for _ in range(PER_ADDRESS_N + 5):
        response = client.get("/login")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "<h1>Sign in</h1>" in page
        assert 'name="password"' in page


def test_the_429_page_carries_the_security_headers(app, make_user):
    client = app.test_client()
    for attempt in range(PER_ADDRESS_N):
        _post_login(client, f"x{attempt}@example.org", "guess", ATTACKER)
    response = _post_login(client, "y@example.org", "guess", ATTACKER)
    assert response.status_code == 429
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
