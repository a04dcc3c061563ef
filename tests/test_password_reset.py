"""Password resets by e-mail (issue 13): "Forgot your password?", the admin's
reset e-mail, "your password changed", and the limit on opening reset links."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, PasswordResetLink
from kaptrain.platform.mail import stop_delivery
from kaptrain.web.auth.views import RESET_LINK_GETS
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.content(None)

NEW_PASSWORD = "amber-quarry-lantern-61"


def _link(mailbox: Any, subject: str = "Reset your", count: int = 1) -> str:
    text = mailbox.text(mailbox.wait_for_subject(subject, count))
    match = re.search(r"http://localhost(/reset/[A-Za-z0-9_\-]+)", text)
    assert match, text
    return match.group(1)


def _forgot(client: Any, email: str) -> str:
    response = client.post("/forgot", data={"email": email})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_sign_in_page_offers_forgot_your_password(client: Any) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot"' in page and "Forgot your password?" in page
    assert "Ask your supervisor" not in page


def test_forgot_answers_the_same_for_every_address(
    app: Flask, client: Any, make_user: Any, mailbox: Any
) -> None:
    make_user(email="known@example.org")
    make_user(email="gone@example.org", active=False)
    pages = {
        email: _forgot(app.test_client(), email).replace(email, "ADDRESS")
        for email in ("known@example.org", "nobody@example.org", "gone@example.org")
    }
    assert len(set(pages.values())) == 1, "the answer depends on the address"
    assert "Check your e-mail" in pages["known@example.org"]
    mailbox.wait_for(1)
    stop_delivery(app)
    assert [m["To"] for m in mailbox] == ["known@example.org"]
    with app.app_context():
        details = sorted(
            db.session.scalars(
                select(AuditEvent.detail).where(
                    AuditEvent.action == "password_reset_requested"
                )
            )
        )
    assert details == ["", "inactive", "unknown"]


def test_the_mailed_link_works_once_and_signs_out_everywhere(
    app: Flask, make_user: Any, mailbox: Any
) -> None:
    user = make_user(email="known@example.org")
    signed_in = app.test_client()
    signed_in.post("/login", data={"email": user.email, "password": PASSWORD})
    _forgot(app.test_client(), "Known@Example.org")
    path = _link(mailbox)
    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    response = visitor.post(
        path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in.get("/account/password").status_code == 302  # signed out
    assert app.test_client().get(path).status_code == 404  # used
    login = app.test_client().post(
        "/login", data={"email": user.email, "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    changed = mailbox.wait_for_subject("password was changed")
    assert changed["To"] == user.email
    assert "with a reset link" in mailbox.text(changed)


def test_a_new_link_voids_the_older_one(
    app: Flask, make_user: Any, mailbox: Any
) -> None:
    make_user(email="known@example.org")
    _forgot(app.test_client(), "known@example.org")
    first = _link(mailbox)
    _forgot(app.test_client(), "known@example.org")
    second = _link(mailbox, count=2)
    assert first != second
    client = app.test_client()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_changing_the_password_sends_a_changed_mail(
    app: Flask, client: Any, make_user: Any, login: Any, mailbox: Any
) -> None:
    user = make_user()
    login(user)
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    message = mailbox.wait_for_subject("password was changed")
    assert message["To"] == user.email
    assert "/forgot" in mailbox.text(message)
    assert NEW_PASSWORD not in mailbox.text(message)


def test_admin_reset_goes_to_the_holder_only_audited_and_told(
    app: Flask, client: Any, make_user: Any, login: Any, mailbox: Any
) -> None:
    admin, user = make_user("admin"), make_user()
    login(admin)
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "E-mail a password-reset link" in page
    response = client.post(f"/admin/users/{user.id}/reset-email", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "/reset/" not in html  # the admin never sees the link
    message = mailbox.wait_for_subject("Reset your")
    assert message["To"] == user.email
    assert "An administrator started a password reset" in mailbox.text(message)
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "password_reset_issued")
        ).scalar_one()
        assert (event.actor_id, event.subject_id) == (admin.id, user.id)
        link = db.session.execute(select(PasswordResetLink)).scalar_one()
        assert link.issued_by_id == admin.id
        token = _link(mailbox).rsplit("/", 1)[1]
        assert token not in link.token_hash


def test_admin_reset_of_a_deactivated_account_explains(
    app: Flask, client: Any, make_user: Any, login: Any, mailbox: Any
) -> None:
    login(make_user("admin"))
    user = make_user(active=False)
    response = client.post(f"/admin/users/{user.id}/reset-email", follow_redirects=True)
    assert "reactivate it first" in response.get_data(as_text=True)
    stop_delivery(app)
    assert list(mailbox) == []


@pytest.mark.parametrize("role", ["supervisor", "author", "trainee"])
def test_only_admins_send_reset_emails(
    client: Any, make_user: Any, login: Any, role: str
) -> None:
    user = make_user()
    login(make_user(role))
    assert client.post(f"/admin/users/{user.id}/reset-email").status_code == 403


def test_forgot_keeps_a_malformed_address_and_explains(client: Any) -> None:
    response = client.post("/forgot", data={"email": "not-an-address"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter your email address" in page
    assert 'value="not-an-address"' in page


class TestLimits:
    @pytest.fixture
    def app_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }

    @pytest.mark.parametrize("prefix", ["/reset/", "/register/confirm/"])
    def test_opening_mailed_links_is_rate_limited(
        self, client: Any, prefix: str
    ) -> None:
        """Issue 13: reset-link GETs were not limited (a scanner may try tokens)."""
        allowed = int(RESET_LINK_GETS.split()[0])
        for n in range(allowed):
            assert client.get(f"{prefix}guess-{n}").status_code == 404
        response = client.get(f"{prefix}guess-{allowed}")
        assert response.status_code == 429
        other = client.get(f"{prefix}x", environ_base={"REMOTE_ADDR": "192.0.2.9"})
        assert other.status_code == 404  # per address

    def test_forgot_is_limited_per_target_address(
        self, app: Flask, make_user: Any
    ) -> None:
        make_user(email="known@example.org")
        for n in range(3):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
            assert _forgot(client, "known@example.org")
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "192.0.2.50"
        response = client.post("/forgot", data={"email": "known@example.org"})
        assert response.status_code == 429


@pytest.mark.parametrize("path", ["/forgot", "/register"])
def test_the_work_behind_the_answer_runs_after_it_is_sent(
    app: Flask, make_user: Any, make_cohort: Any, path: str
) -> None:
    """The answer is sent before the address is even looked up, so the time to
    answer cannot tell who has an account."""
    from kaptrain.models import CohortInvitation

    user = make_user(email="known@example.org")
    cohort = make_cohort()
    data = {"email": user.email, "invite_code": cohort.invite_code, "name": "K P"}
    response = app.test_client().open(path, method="POST", data=data, buffered=False)
    assert response.status_code == 200
    what = PasswordResetLink if path == "/forgot" else CohortInvitation
    with app.app_context():
        assert db.session.scalars(select(what)).all() == []
    response.close()  # what a WSGI server does once the answer is out
    with app.app_context():
        assert len(db.session.scalars(select(what)).all()) == 1
