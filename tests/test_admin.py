"""Admin routes: who may use them, role changes, reset links, the audit log, nav."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, PasswordResetLink, User, utcnow
from kaptrain.web.navigation import NAV
from tests.support.settings import PASSWORD

from .support.mfa import sign_in

pytestmark = pytest.mark.content(None)

NEW_PASSWORD = "silver-fern-canyon-58"


def _admin_routes(app, user_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = re.sub(r"<(?:int:)?(?:user_id|cert_id)>", str(user_id), rule.rule)
        path = path.replace("<module_id>", "any-module")
        assert "<" not in path, f"test does not know how to fill {rule.rule}"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    assert routes
    return routes


@pytest.mark.parametrize("role", ["trainee", "supervisor", "author"])
def test_every_admin_route_is_403_for_other_roles(app, client, make_user, role):
    target = make_user()
    user = make_user(role)
    sign_in(client, user, PASSWORD)
    for method, path in _admin_routes(app, target.id):
        response = client.open(path, method=method, data={"roles": ["admin"]})
        assert response.status_code == 403, (method, path)
    with app.app_context():
        assert db.session.get(User, user.id).roles == {role}
        assert db.session.get(User, target.id).active


def test_every_admin_route_sends_anonymous_to_login(app, client, make_user):
    target = make_user()
    for method, path in _admin_routes(app, target.id):
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/login"), (method, path)


def test_every_admin_route_is_401_json_for_anonymous_json(app, client, make_user):
    target = make_user()
    for method, path in _admin_routes(app, target.id):
        response = client.open(
            path, method=method, headers={"Accept": "application/json"}
        )
        assert response.status_code == 401, (method, path)
        assert response.json["status"] == 401


def test_admin_gets_the_admin_pages(client, make_user, login):
    admin, other = make_user("admin"), make_user()
    login(admin)
    pages = {
        "/admin/users": ("<h1>Users</h1>", other.email),
        f"/admin/users/{other.id}": (f"<h1>{other.name}</h1>", other.email),
        "/admin/audit": ("<h1>Audit log</h1>",),
    }
    for path, texts in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        for text in texts:
            assert text in page, (path, text)


# --- navigation --------------------------------------------------------------


def _nav_links(page: str) -> set[str]:
    match = re.search(
        r'<nav class="site-nav" aria-label="Main">(.*?)</nav>', page, re.S
    )
    assert match
    return set(re.findall(r'href="([^"]+)"', match.group(1)))


@pytest.mark.parametrize("role", ["trainee", "supervisor", "author", "admin"])
def test_navigation_shows_each_role_its_own_links(app, client, make_user, role):
    user = make_user(role)
    sign_in(client, user, PASSWORD)
    links = _nav_links(client.get("/support").get_data(as_text=True))
    with app.test_request_context():
        from flask import url_for

        for item in NAV:
            if item.endpoint not in app.view_functions:
                continue
            url = url_for(item.endpoint)
            if role in item.roles:
                assert url in links, (role, item.endpoint)
            else:
                assert url not in links, (role, item.endpoint)
    admin_links = {link for link in links if link.startswith("/admin")}
    if role == "admin":
        assert admin_links == {
            "/admin/users",
            "/admin/audit",
            "/admin/certificates",
            "/admin/ce",
            "/admin/xapi",
        }
    else:
        assert admin_links == set()


def test_navigation_for_anonymous_offers_sign_in_and_register(client):
    links = _nav_links(client.get("/support").get_data(as_text=True))
    assert links == {"/login", "/register"}


def test_navigation_marks_the_current_page(client, make_user, login):
    login(make_user("admin"))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert '<a href="/admin/audit" aria-current="page">' in page
    assert '<a href="/admin/users" aria-current="page">' not in page


# --- users and roles ---------------------------------------------------------


# Issue 13: the set-up link goes to the new account's holder, not the admin.
def test_admin_creates_a_user_who_gets_a_one_time_link_by_mail(
    app, client, make_user, login, mailbox
):
    login(make_user("admin"))
    response = client.post(
        "/admin/users",
        data={"name": "Sam Ortiz", "email": "Sam@Example.org", "roles": ["supervisor"]},
        follow_redirects=True,
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Account created for sam@example.org" in page
    assert "/reset/" not in page
    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == "sam@example.org"
    assert "/reset/" in mailbox.text(mail)
    with app.app_context():
        user = db.session.scalars(
            select(User).where(User.email == "sam@example.org")
        ).one()
        assert user.roles == {"supervisor"}


def test_admin_create_user_with_bad_email_keeps_the_input(client, make_user, login):
    login(make_user("admin"))
    response = client.post(
        "/admin/users", data={"name": "Sam Ortiz", "email": "not-an-address"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter an email address" in page
    assert 'value="Sam Ortiz"' in page and 'value="not-an-address"' in page


def test_role_change_is_saved_and_audited(app, client, make_user, login):
    admin, user = make_user("admin"), make_user()
    login(admin)
    response = client.post(
        f"/admin/users/{user.id}", data={"roles": ["trainee", "supervisor"]}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).roles == {"trainee", "supervisor"}
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "role_changed")
        ).one()
        assert event.actor_id == admin.id and event.subject_id == user.id
        assert event.detail == "trainee -> supervisor,trainee"


@pytest.mark.parametrize("roles", [[], ["wizard"]])
def test_bad_roles_are_refused(app, client, make_user, login, roles):
    user = make_user()
    login(make_user("admin"))
    response = client.post(f"/admin/users/{user.id}", data={"roles": roles})
    assert response.status_code == 200
    assert "error-message" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).roles == {"trainee"}


def test_admin_cannot_remove_their_own_admin_role(app, client, make_user, login):
    admin = make_user("admin")
    login(admin)
    page = client.post(f"/admin/users/{admin.id}", data={"roles": ["trainee"]})
    assert "cannot remove your own admin role" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).roles == {"admin"}


def test_extra_fields_cannot_change_roles_elsewhere(app, client, make_user, login):
    user = make_user()
    login(user)
    client.post(
        "/account/password",
        data={"current": PASSWORD, "password": "", "confirm": "", "roles": ["admin"]},
    )
    with app.app_context():
        assert db.session.get(User, user.id).roles == {"trainee"}


# --- reset links ---------------------------------------------------------------


# Issue 13: the admin no longer sees the link; it goes to the holder by e-mail.
def _issue_link(client, user_id: int, mailbox) -> str:  # type: ignore[no-untyped-def]
    before = sum("Reset your" in str(m["Subject"]) for m in mailbox)
    response = client.post(f"/admin/users/{user_id}/reset-email", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "A password-reset e-mail was sent" in page
    assert "/reset/" not in page
    message = mailbox.wait_for_subject("Reset your", before + 1)
    match = re.search(
        r"http://localhost(/reset/[A-Za-z0-9_\-]+)", mailbox.text(message)
    )
    assert match, mailbox.text(message)
    return match.group(1)


def _reset(client, path: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(path, data={"password": password, "confirm": password})


def test_reset_link_works_once(app, make_user, mailbox):
    admin, user = make_user("admin"), make_user()
    admin_client = app.test_client()
    sign_in(admin_client, admin, PASSWORD)
    path = _issue_link(admin_client, user.id, mailbox)
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    response = _reset(visitor, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    login = visitor.post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 302
    again = app.test_client()
    assert again.get(path).status_code == 404
    assert _reset(again, path, "another-fresh-phrase-9").status_code == 404
    with app.app_context():
        from werkzeug.security import check_password_hash

        assert check_password_hash(
            db.session.get(User, user.id).password_hash, NEW_PASSWORD
        )


def test_reset_link_expires(app, make_user, mailbox):
    admin, user = make_user("admin"), make_user()
    admin_client = app.test_client()
    sign_in(admin_client, admin, PASSWORD)
    path = _issue_link(admin_client, user.id, mailbox)
    with app.app_context():
        link = db.session.scalars(select(PasswordResetLink)).one()
        assert link.expires_at - utcnow() <= dt.timedelta(hours=24)
        link.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    visitor = app.test_client()
    response = visitor.get(path)
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)
    assert _reset(visitor, path).status_code == 404


def test_reset_link_with_a_weak_password_keeps_the_link_usable(app, make_user, mailbox):
    admin, user = make_user("admin"), make_user()
    admin_client = app.test_client()
    sign_in(admin_client, admin, PASSWORD)
    path = _issue_link(admin_client, user.id, mailbox)
    visitor = app.test_client()
    response = _reset(visitor, path, "password1")
    assert "one of the most common passwords" in response.get_data(as_text=True)
    assert _reset(visitor, path).status_code == 302


@pytest.mark.parametrize("token", ["made-up-token", "x" * 200])
def test_unknown_reset_token_is_404(client, token):
    assert client.get(f"/reset/{token}").status_code == 404


def test_reset_ends_the_users_sessions(app, make_user, mailbox):
    admin, user = make_user("admin"), make_user()
    admin_client, user_client = app.test_client(), app.test_client()
    sign_in(admin_client, admin, PASSWORD)
    sign_in(user_client, user, PASSWORD)
    path = _issue_link(admin_client, user.id, mailbox)
    _reset(app.test_client(), path)
    assert user_client.get("/account/password").status_code == 302
    assert admin_client.get("/admin/users").status_code == 200


def test_only_a_hash_of_the_reset_token_is_stored(
    app, client, make_user, login, mailbox
):
    user = make_user()
    login(make_user("admin"))
    token = _issue_link(client, user.id, mailbox).rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(PasswordResetLink.token_hash)).one()
    assert token not in stored and len(stored) == 64


# --- audit log -----------------------------------------------------------------


def _events(app) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def test_audit_log_records_the_account_events_and_never_a_password(
    app, make_user, caplog, mailbox
):
    caplog.set_level("DEBUG")
    admin, user = make_user("admin"), make_user(email="pat@example.org")
    admin_client, user_client = app.test_client(), app.test_client()
    sign_in(admin_client, admin, PASSWORD)
    user_client.post("/login", data={"email": user.email, "password": "Wr0ng-guess!"})
    user_client.post(
        "/login", data={"email": "ghost@example.org", "password": "Ghost-pass-77"}
    )
    sign_in(user_client, user, PASSWORD)
    user_client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    user_client.post("/logout")
    admin_client.post(f"/admin/users/{user.id}", data={"roles": ["supervisor"]})
    path = _issue_link(admin_client, user.id, mailbox)
    final_password = "violet-harbour-drum-03"
    _reset(app.test_client(), path, final_password)

    events = _events(app)
    actions = [event.action for event in events]
    for action in (
        "login",
        "login_failed",
        "logout",
        "role_changed",
        "password_changed",
        "password_reset_issued",
        "password_reset_used",
    ):
        assert action in actions, action
    failed = [e for e in events if e.action == "login_failed"]
    assert {e.subject_label for e in failed} == {"pat@example.org", "ghost@example.org"}
    assert {e.detail for e in failed} == {"password", "unknown"}
    assert all(e.ip == "127.0.0.1" for e in events if e.action.startswith("login"))

    secrets_typed = [
        PASSWORD,
        NEW_PASSWORD,
        final_password,
        "Wr0ng-guess!",
        "Ghost-pass-77",
    ]
    for event in events:
        row = " ".join(
            str(getattr(event, column))
            for column in ("action", "actor_label", "subject_label", "ip", "detail")
        )
        for secret in secrets_typed:
            assert secret not in row
    assert "login_failed" in caplog.text  # the audit logger did write
    for secret in secrets_typed:
        assert secret not in caplog.text
    token = path.rsplit("/", 1)[1]
    assert token not in caplog.text
    assert all(token not in e.detail for e in events)


def test_admin_filters_the_audit_log_by_action_and_person(
    app, client, make_user, login
):
    admin = make_user("admin", email="boss@example.org")
    make_user(email="kim@example.org")
    anon = app.test_client()
    anon.post("/login", data={"email": "kim@example.org", "password": "nope-nope-1"})
    anon.post("/login", data={"email": "lee@example.org", "password": "nope-nope-1"})
    login(admin)

    def rows(**params: str) -> list[str]:
        page = client.get("/admin/audit", query_string=params).get_data(as_text=True)
        return re.findall(r"<tr>\s*<td><time.*?</tr>", page, re.S)

    # The admin's sign-in is two events since issue 13: login, then mfa_passed.
    assert len(rows()) == 4
    failed = rows(action="login_failed")
    assert len(failed) == 2
    assert all("login failed" in row for row in failed)
    kim = rows(who="KIM@")
    assert len(kim) == 1 and "kim@example.org" in kim[0]
    both = rows(action="login", who="boss")
    assert len(both) == 1 and "boss@example.org" in both[0]
    assert rows(action="login_failed", who="boss") == []
    # An unknown action is ignored rather than an error.
    assert client.get("/admin/audit?action=drop-table&page=x").status_code == 200


def test_audit_log_pages(app, client, make_user, login):
    login(make_user("admin"))
    with app.app_context():
        db.session.add_all(
            AuditEvent(action="login_failed", subject_label=f"p{n}@example.org")
            for n in range(60)
        )
        db.session.commit()
        total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    first = client.get("/admin/audit").get_data(as_text=True)
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert first.count("<time") == 50
    assert second.count("<time") == total - 50
    assert "Older" in first and "Newer" in second
