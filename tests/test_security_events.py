"""Security events: access denied, CSRF rejected, rate limit hit, login from a
new device; shown on the admin audit page, filterable (issue 13)."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent
from tests.support.mfa import sign_in
from tests.support.settings import PASSWORD


@pytest.fixture
def app_config(request, tmp_path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    modules = tmp_path / "modules"
    modules.mkdir()
    return {"MODULES_DIR": modules, **getattr(request, "param", {})}


def _events(app, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def test_another_cohorts_trainee_is_denied_and_recorded(
    app, client, make_user, make_cohort, login
):
    mine, theirs = make_user("supervisor"), make_user("supervisor")
    cohort = make_cohort(supervisors=[theirs])
    trainee = make_user(cohort=cohort)
    login(mine)
    assert client.get(f"/supervise/trainees/{trainee.id}").status_code == 404
    [denied] = _events(app, "access_denied")
    assert denied.actor_id == mine.id
    assert denied.detail == f"404 GET /supervise/trainees/{trainee.id}"
    assert denied.ip == "127.0.0.1"


def test_a_missing_role_is_denied_and_recorded(app, client, make_user, login):
    trainee = make_user()
    login(trainee)
    assert client.get("/admin/users").status_code == 403
    [denied] = _events(app, "access_denied")
    assert (denied.actor_id, denied.detail) == (trainee.id, "403 GET /admin/users")


def test_someone_elses_journal_entry_is_denied_and_recorded(
    app, client, make_user, login
):
    login(make_user())
    assert client.get("/journal/999/edit").status_code == 404
    assert [e.detail for e in _events(app, "access_denied")] == [
        "404 GET /journal/999/edit"
    ]


def test_a_plain_missing_page_is_not_a_security_event(app, client, make_user, login):
    login(make_user())
    assert client.get("/no-such-page").status_code == 404
    assert _events(app, "access_denied") == []


def test_a_rejected_csrf_token_is_recorded(app, client, make_user, login):
    user = make_user()
    login(user)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/logout").status_code == 400
    [rejected] = _events(app, "csrf_rejected")
    assert rejected.actor_id == user.id
    assert rejected.detail.endswith("POST /logout")
    assert "CSRF" in rejected.detail


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}],
    indirect=True,
)
def test_a_rate_limit_hit_is_recorded_once_per_minute(app, client):
    from kaptrain.extensions import limiter
    from kaptrain.web.auth.views import PER_ADDRESS

    limiter.reset()
    allowed = int(PER_ADDRESS.split()[0])
    codes = [
        client.post(
            "/login", data={"email": f"x{n}@example.org", "password": "guess-it-1"}
        ).status_code
        for n in range(allowed + 5)
    ]
    assert codes.count(429) == 5
    [hit] = _events(app, "rate_limited")
    assert hit.detail == "30 per 1 minute POST /login"
    assert "x3@example.org" not in hit.detail


@pytest.mark.parametrize(
    "app_config",
    [{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}],
    indirect=True,
)
def test_a_flood_of_refusals_writes_few_events(app, client, make_user, login):
    from kaptrain.extensions import limiter

    limiter.reset()
    login(make_user())
    for n in range(40):
        client.get("/admin/users")  # the same refusal: once a minute
        client.get(f"/journal/{1000 + n}/edit")  # different: at most 20 a minute
    details = [e.detail for e in _events(app, "access_denied")]
    assert details.count("403 GET /admin/users") == 1
    assert len(details) == 20


def test_a_sign_in_from_a_new_browser_is_recorded_and_mailed(app, make_user, mailbox):
    user = make_user(name="Ada Lovelace")
    browser = app.test_client()
    browser.environ_base.update(
        {
            "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) "
            "Gecko/20100101 Firefox/133.0",
            "REMOTE_ADDR": "203.0.113.9",
        }
    )
    form = {"email": user.email, "password": PASSWORD}
    assert browser.post("/login", data=form).status_code == 302
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == user.email
    assert mail["Subject"] == "New sign-in to your kaptrain account"
    text = mailbox.text(mail)
    assert "Firefox on Linux" in text and "203.0.113.9" in text
    assert "http://localhost/account/sessions" in text
    [seen] = _events(app, "new_device_login")
    assert seen.subject_id == user.id and "Firefox" in seen.detail

    # The same browser again: it carries the known-device cookie.
    browser.post("/logout")
    assert browser.post("/login", data=form).status_code == 302
    assert len(_events(app, "new_device_login")) == 1
    assert len(_events(app, "login")) == 2


def test_an_ordinary_page_view_writes_nothing(app, client, make_user, login):
    login(make_user())
    writes: list[str] = []

    def spy(_conn, _cursor, statement, *_rest):  # type: ignore[no-untyped-def]
        if threading.current_thread() is not threading.main_thread():
            return  # the mail courier delivering the sign-in mail
        if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "PRAGMA")):
            writes.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", spy)
    try:
        for path in ("/", "/account", "/account/sessions", "/journal"):
            client.get(path)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", spy)
    assert [w for w in writes if "ROLLBACK" not in w.upper()] == []


# --- the admin audit page ----------------------------------------------------


@pytest.fixture
def events(app) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    with app.app_context():
        db.session.add_all(
            [
                AuditEvent(
                    action="access_denied",
                    actor_label="mallory@example.org",
                    detail="404 GET /supervise/trainees/7",
                    at=dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC),
                ),
                AuditEvent(
                    action="csrf_rejected",
                    actor_label="kim@example.org",
                    detail="The CSRF token is missing. POST /logout",
                    at=dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC),
                ),
                AuditEvent(
                    action="login",
                    actor_label="kim@example.org",
                    at=dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC),
                ),
            ]
        )
        db.session.commit()


def _rows(client, **params: str) -> list[str]:  # type: ignore[no-untyped-def]
    page = client.get("/admin/audit", query_string=params).get_data(as_text=True)
    return re.findall(r"<tr>\s*<td><time.*?</tr>", page, re.S)


def test_the_audit_page_filters_security_events_by_kind_person_and_date(
    app, client, make_user, events
):
    admin = make_user("admin")
    sign_in(client, admin, PASSWORD)
    security = _rows(client, action="security", to="2026-12-03")
    assert len(security) == 2
    assert not any("<td>login</td>" in row for row in security)
    assert len(_rows(client, action="csrf_rejected")) == 1
    assert len(_rows(client, action="security", who="mallory")) == 1
    assert len(_rows(client, **{"from": "2026-12-01", "to": "2026-12-02"})) == 2
    assert len(_rows(client, to="2026-11-30")) == 1
    page = client.get("/admin/audit?action=security").get_data(as_text=True)
    assert '<option value="security" selected>' in page
    assert "Older" not in page


def test_a_mistyped_date_is_explained_and_kept(app, client, make_user, events):
    admin = make_user("admin")
    sign_in(client, admin, PASSWORD)
    response = client.get("/admin/audit?from=30/11/2026")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter dates as year-month-day" in page
    assert 'value="30/11/2026"' in page


def test_the_audit_filters_need_no_javascript(app, client, make_user):
    admin = make_user("admin")
    sign_in(client, admin, PASSWORD)
    page = client.get("/admin/audit").get_data(as_text=True)
    form = re.search(r'<form method="get".*?</form>', page, re.S).group(0)
    for name in ("action", "who", "from", "to"):
        assert f'name="{name}"' in form and f'<label for="{name}"' in form
    assert "<script" not in form
