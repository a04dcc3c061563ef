"""Idle timeouts and the "your sessions" page (issue 13, ASVS V7.3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from kaptrain.extensions import db
from kaptrain.models import LoginSession, utcnow
from kaptrain.people.sessions import describe_device, public_id
from tests.support.forms import csrf_token_from
from tests.support.mfa import needs_code, pass_code
from tests.support.settings import PASSWORD

FIREFOX_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def app_config(request, tmp_path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    modules = tmp_path / "modules"
    modules.mkdir()
    return {"MODULES_DIR": modules, **getattr(request, "param", {})}


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/account/password").status_code == 200


def _sign_in(app, user, *, agent: str = FIREFOX_WINDOWS, address="203.0.113.5", **form):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address})
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, **form}
    )
    assert response.status_code == 302
    secret = getattr(user, "totp_secret", None)
    if secret and needs_code(response):  # staff pass their second step
        pass_code(client, secret, response.headers["Location"])
    return client


def _age_sessions(app, user, minutes: float) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == user.id)
            .values(last_seen_at=utcnow() - dt.timedelta(minutes=minutes))
        )
        db.session.commit()


def _last_seen(app, user) -> list[dt.datetime]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(
            db.session.scalars(
                select(LoginSession.last_seen_at).where(LoginSession.user_id == user.id)
            )
        )


@pytest.mark.parametrize("role", ["supervisor", "author", "admin"])
def test_staff_sessions_end_after_30_idle_minutes(app, make_user, role):
    user = make_user(role)
    client = _sign_in(app, user)
    _age_sessions(app, user, 29)
    assert _signed_in(client)
    _age_sessions(app, user, 31)
    assert not _signed_in(client)


def test_an_idle_sign_out_is_explained_once(app, make_user):
    user = make_user("supervisor")
    client = _sign_in(app, user, remember="y")
    _age_sessions(app, user, 31)
    page = client.get("/account/password", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "You were signed out after 30 minutes without activity" in text
    assert client.get_cookie("remember_token") is None
    again = client.get("/account/password", follow_redirects=True)
    assert "without activity" not in again.get_data(as_text=True)
    assert "Sign in" in again.get_data(as_text=True)


def test_trainee_sessions_end_after_two_idle_hours(app, make_user):
    user = make_user()
    client = _sign_in(app, user)
    _age_sessions(app, user, 119)
    assert _signed_in(client)
    _age_sessions(app, user, 121)
    assert not _signed_in(client)


def test_a_trainees_keep_me_signed_in_has_no_idle_limit_but_staff_do(app, make_user):
    trainee, staff = make_user(), make_user("supervisor")
    trainee_client = _sign_in(app, trainee, remember="y")
    staff_client = _sign_in(app, staff, remember="y")
    _age_sessions(app, trainee, 60 * 24)
    _age_sessions(app, staff, 31)
    assert _signed_in(trainee_client)
    assert not _signed_in(staff_client)
    # Not even the remember-me cookie alone brings the idle staff session back.
    staff_client.delete_cookie("session")
    assert not _signed_in(staff_client)


@pytest.mark.parametrize(
    ("app_config", "minutes_ok", "minutes_out"),
    [({"IDLE_MINUTES_STAFF": 5}, 4, 6)],
    indirect=["app_config"],
)
def test_the_idle_limit_is_configurable(app, make_user, minutes_ok, minutes_out):
    user = make_user("supervisor")
    client = _sign_in(app, user)
    _age_sessions(app, user, minutes_ok)
    assert _signed_in(client)
    _age_sessions(app, user, minutes_out)
    assert not _signed_in(client)


def test_idle_limit_settings_are_read_from_the_environment(monkeypatch, tmp_path):
    from kaptrain.platform.config import load_config
    from kaptrain.platform.setting_values import ConfigError

    monkeypatch.setenv("KAPTRAIN_IDLE_MINUTES_STAFF", "15")
    monkeypatch.setenv("KAPTRAIN_IDLE_MINUTES_TRAINEE", "45")
    config = load_config(tmp_path / "i", {"SECRET_KEY": "x" * 40})
    assert (config["IDLE_MINUTES_STAFF"], config["IDLE_MINUTES_TRAINEE"]) == (15, 45)
    monkeypatch.setenv("KAPTRAIN_IDLE_MINUTES_STAFF", "0")
    with pytest.raises(ConfigError, match="KAPTRAIN_IDLE_MINUTES_STAFF"):
        load_config(tmp_path / "i", {"SECRET_KEY": "x" * 40})


def test_last_seen_is_written_at_most_once_a_minute(app, make_user):
    user = make_user()
    client = _sign_in(app, user)
    updates: list[str] = []

    def count(_conn, _cursor, statement, *_rest):  # type: ignore[no-untyped-def]
        upper = statement.lstrip().upper()
        if upper.startswith("UPDATE LOGIN_SESSIONS") and "TOKEN" in upper:
            updates.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert client.get("/account").status_code == 200
        assert updates == []  # seen at sign-in, moments ago: no write
        _age_sessions(app, user, 2)
        before = _last_seen(app, user)[0]
        for _ in range(3):
            assert client.get("/account").status_code == 200
        assert len(updates) == 1
        assert _last_seen(app, user)[0] > before + dt.timedelta(minutes=1)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)


def test_activity_keeps_an_idle_session_alive(app, make_user):
    user = make_user("supervisor")
    client = _sign_in(app, user)
    _age_sessions(app, user, 25)
    assert _signed_in(client)  # refreshes last seen
    with app.app_context():
        seen = db.session.scalar(
            select(LoginSession.last_seen_at).where(LoginSession.user_id == user.id)
        )
    assert utcnow() - seen < dt.timedelta(minutes=1)


def test_the_sessions_page_lists_my_browsers_in_plain_words(app, make_user):
    user, other = make_user(), make_user()
    laptop = _sign_in(app, user, agent=FIREFOX_WINDOWS, address="203.0.113.5")
    _sign_in(app, user, agent=SAFARI_IPHONE, address="198.51.100.7")
    _sign_in(app, other, agent="curl/8.5.0", address="192.0.2.99")
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Firefox on Windows" in page and "(this browser)" in page
    assert "Safari on an iPhone" in page
    assert "203.0.113.5" in page and "198.51.100.7" in page
    assert "192.0.2.99" not in page and "curl" not in page  # someone else's
    assert "just now" in page
    with app.app_context():
        tokens = db.session.scalars(select(LoginSession.token)).all()
    for token in tokens:
        assert token not in page  # a session's token is its credential


def test_sign_out_one_other_session(app, make_user):
    user = make_user()
    laptop = _sign_in(app, user)
    phone = _sign_in(app, user, agent=SAFARI_IPHONE)
    with app.app_context():
        phone_token = db.session.scalar(
            select(LoginSession.token)
            .where(LoginSession.user_id == user.id)
            .order_by(LoginSession.created_at.desc())
        )
    response = laptop.post(f"/account/sessions/{public_id(phone_token)}/end")
    assert response.status_code == 302
    assert not _signed_in(phone)
    assert _signed_in(laptop)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Safari" not in page and "No other browser is signed in" in page


def test_sign_out_everywhere_else(app, make_user):
    user = make_user()
    here = _sign_in(app, user)
    others = [_sign_in(app, user, agent=SAFARI_IPHONE) for _ in range(3)]
    assert here.post("/account/sessions/end-others").status_code == 302
    assert _signed_in(here)
    assert not any(_signed_in(client) for client in others)


def test_nobody_can_sign_out_someone_elses_session(app, make_user):
    victim, attacker = make_user(), make_user()
    victim_client = _sign_in(app, victim)
    attacker_client = _sign_in(app, attacker)
    with app.app_context():
        token = db.session.scalar(
            select(LoginSession.token).where(LoginSession.user_id == victim.id)
        )
    response = attacker_client.post(
        f"/account/sessions/{public_id(token)}/end", follow_redirects=True
    )
    assert "already ended" in response.get_data(as_text=True)
    assert _signed_in(victim_client)


def test_session_buttons_are_csrf_protected_posts(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(page),
        },
    )
    other = _sign_in_with_csrf(app, user)
    assert client.get("/account/sessions/end-others").status_code == 405
    assert client.post("/account/sessions/end-others").status_code == 400
    assert _signed_in(other)
    page = client.get("/account/sessions").get_data(as_text=True)
    response = client.post(
        "/account/sessions/end-others", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    assert not _signed_in(other)


def _sign_in_with_csrf(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(page),
        },
    )
    return client


@pytest.mark.parametrize(
    ("agent", "words"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IPHONE, "Safari on an iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on a Mac",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
            "like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("python-requests/2.32.3", "python-requests"),
        ("", "Unknown browser"),
    ],
)
def test_devices_are_described_in_plain_words(agent, words):
    assert describe_device(agent) == words
