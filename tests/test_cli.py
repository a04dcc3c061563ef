"""flask create-user: valid, duplicate email, unknown role, weak password."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.models import User
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.content(None)


def _create(runner, email: str, *roles: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    args = ["create-user", "--email", email, "--name", "Robin Vale"]
    for role in roles:
        args += ["--role", role]
    return runner.invoke(args=[*args, "--password", password])


def _user_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_create_user(app, runner, client):
    result = _create(runner, "Robin@Example.org", "supervisor", "author")
    assert result.exit_code == 0, result.output
    assert "Created robin@example.org with roles author, supervisor." in result.output
    with app.app_context():
        user = db.session.scalars(select(User)).one()
        assert user.roles == {"supervisor", "author"}
    response = client.post(
        "/login", data={"email": "robin@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_password_from_the_environment(app, runner, monkeypatch):
    monkeypatch.setenv("KAPTRAIN_NEW_PASSWORD", PASSWORD)
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "e@example.org",
            "--name",
            "E",
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    assert _user_count(app) == 1


def test_duplicate_email_is_refused(app, runner):
    assert _create(runner, "robin@example.org", "trainee").exit_code == 0
    result = _create(runner, "ROBIN@example.org", "admin")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert _user_count(app) == 1


def test_unknown_role_is_refused(app, runner):
    result = _create(runner, "robin@example.org", "wizard")
    assert result.exit_code != 0
    assert "Invalid value for '--role'" in result.output
    assert "'wizard' is not one of" in result.output
    assert _user_count(app) == 0


def test_weak_password_is_refused(app, runner):
    result = _create(runner, "robin@example.org", "trainee", password="password1")
    assert result.exit_code != 0
    assert "password: That is one of the most common passwords" in result.output
    assert _user_count(app) == 0


def test_missing_role_is_refused(app, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "a@example.org",
            "--name",
            "A",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code != 0
    assert "Missing option '--role'" in result.output
