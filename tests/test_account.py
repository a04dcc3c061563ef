"""The account pages: overview, downloads, and deleting one's own account."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, JournalEntry, User
from tests.support.forms import csrf_token_from
from tests.support.settings import CONTENT_FIXTURES, PASSWORD

pytestmark = pytest.mark.content(None)


@pytest.fixture
def trainee(app: Flask, make_user: Any, make_cohort: Any) -> User:
    user = make_user(cohort=make_cohort(), email="me@example.org", name="Ada Example")
    with app.app_context():
        db.session.add(JournalEntry(user_id=user.id, body="Only mine", shared=False))
        db.session.commit()
    return user


def _user_exists(app: Flask, user_id: int) -> bool:
    with app.app_context():
        return db.session.get(User, user_id) is not None


@pytest.mark.parametrize(
    "path", ["/account", "/account/data.json", "/account/data.zip", "/account/delete"]
)
def test_pages_need_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_overview_shows_profile_and_links(
    client: FlaskClient, login: Any, trainee: User
) -> None:
    login(trainee)
    response = client.get("/account")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ada Example" in html and "me@example.org" in html
    assert 'href="/account/data.json"' in html
    assert 'href="/account/data.zip"' in html
    assert 'href="/account/delete"' in html
    assert html.count("<h1") == 1


@pytest.mark.parametrize(
    "path", ["/account", "/account/data.json", "/account/data.zip", "/account/delete"]
)
def test_pages_are_never_cached(
    client: FlaskClient, login: Any, trainee: User, path: str
) -> None:
    login(trainee)
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_json_download_holds_own_private_entry(
    client: FlaskClient, login: Any, trainee: User
) -> None:
    login(trainee)
    response = client.get("/account/data.json")
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == "me@example.org"
    assert [e["body"] for e in data["journal_entries"]] == ["Only mine"]
    assert data["login_sessions"], "the current sign-in is listed"


def test_zip_download_holds_csv_files(
    client: FlaskClient, login: Any, trainee: User
) -> None:
    login(trainee)
    response = client.get("/account/data.zip")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(BytesIO(response.data))
    assert "Only mine" in archive.read("journal_entries.csv").decode()


@pytest.mark.parametrize(("path", "fmt"), [("data.json", "json"), ("data.zip", "zip")])
def test_download_is_audited(
    app: Flask, client: FlaskClient, login: Any, trainee: User, path: str, fmt: str
) -> None:
    login(trainee)
    client.get(f"/account/{path}")
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "data_downloaded")
        ).scalar_one()
    assert event.subject_id == trainee.id and event.detail == f"format={fmt}"


def test_download_contains_only_own_data(
    client: FlaskClient, login: Any, trainee: User, make_user: Any, app: Flask
) -> None:
    other = make_user()
    with app.app_context():
        db.session.add(JournalEntry(user_id=other.id, body="Not yours", shared=True))
        db.session.commit()
    login(trainee)
    assert "Not yours" not in client.get("/account/data.json").get_data(as_text=True)


def test_delete_page_has_labelled_fields(
    client: FlaskClient, login: Any, trainee: User
) -> None:
    login(trainee)
    html = client.get("/account/delete").get_data(as_text=True)
    assert 'for="password"' in html and 'for="confirm"' in html
    assert 'method="post"' in html


def test_delete_with_wrong_password_deletes_nothing(
    app: Flask, client: FlaskClient, login: Any, trainee: User
) -> None:
    login(trainee)
    response = client.post(
        "/account/delete", data={"password": "not-my-password", "confirm": "DELETE"}
    )
    assert response.status_code == 400
    assert "That is not your current password" in response.get_data(as_text=True)
    assert _user_exists(app, trainee.id)
    assert client.get("/account").status_code == 200  # still signed in


def test_delete_without_confirmation_word_keeps_what_was_typed(
    app: Flask, client: FlaskClient, login: Any, trainee: User
) -> None:
    login(trainee)
    response = client.post(
        "/account/delete", data={"password": PASSWORD, "confirm": "delete please"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Type DELETE in capitals" in html
    assert 'value="delete please"' in html
    assert 'aria-invalid="true"' in html
    assert _user_exists(app, trainee.id)


def test_delete_removes_account_and_signs_out(
    app: Flask, client: FlaskClient, login: Any, trainee: User
) -> None:
    login(trainee)
    response = client.post(
        "/account/delete", data={"password": PASSWORD, "confirm": "DELETE"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert not _user_exists(app, trainee.id)
    with app.app_context():
        entries = db.session.execute(
            select(func.count()).select_from(JournalEntry)
        ).scalar()
    assert entries == 0
    follow = client.get("/account")
    assert follow.status_code == 302 and "/login" in follow.headers["Location"]
    assert "have been deleted" in client.get("/login").get_data(as_text=True)


def test_deleted_account_cannot_sign_in(
    client: FlaskClient, login: Any, trainee: User
) -> None:
    login(trainee)
    client.post("/account/delete", data={"password": PASSWORD, "confirm": "DELETE"})
    response = client.post(
        "/login", data={"email": trainee.email, "password": PASSWORD}
    )
    assert response.status_code != 302


def test_last_admin_sees_a_clear_message(
    app: Flask, client: FlaskClient, login: Any, make_user: Any
) -> None:
    admin = make_user("admin")
    login(admin)
    response = client.post(
        "/account/delete", data={"password": PASSWORD, "confirm": "DELETE"}
    )
    assert response.status_code == 400
    assert "only active administrator" in response.get_data(as_text=True)
    assert _user_exists(app, admin.id)


@pytest.mark.parametrize(
    "app_config",
    [{"WTF_CSRF_ENABLED": True, "MODULES_DIR": CONTENT_FIXTURES / "complete-module"}],
)
def test_delete_needs_csrf_token(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    user = make_user()
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(page),
        },
    )
    response = client.post(
        "/account/delete", data={"password": PASSWORD, "confirm": "DELETE"}
    )
    assert response.status_code == 400
    assert _user_exists(app, user.id)
    token = csrf_token_from(client.get("/account/delete").get_data(as_text=True))
    response = client.post(
        "/account/delete",
        data={"password": PASSWORD, "confirm": "DELETE", "csrf_token": token},
    )
    assert response.status_code == 302
    assert not _user_exists(app, user.id)
