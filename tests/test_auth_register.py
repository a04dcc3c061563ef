"""Registration by cohort invite code: what is created, and what bad input gets."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.models import TRAINEE, Cohort, CohortMember, User

from .conftest import PASSWORD


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    modules = tmp_path / "modules"
    modules.mkdir()
    return {"MODULES_DIR": modules}


def _counts(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
        members = db.session.scalar(select(func.count()).select_from(CohortMember))
        return users, members


def _form(code: str, **overrides: str) -> dict[str, str]:
    data = {
        "invite_code": code,
        "name": "Ada Okafor",
        "email": "ada@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data.update(overrides)
    return data


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/account/password").status_code == 200


def test_valid_code_creates_a_signed_in_trainee_in_that_cohort(
    app, client, make_cohort
):
    cohort = make_cohort()
    other = make_cohort()
    response = client.post("/register", data=_form(cohort.invite_code.lower()))
    assert response.status_code == 302
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.email == "ada@example.org"
        assert user.roles == {TRAINEE}
        assert [m.cohort_id for m in user.memberships] == [cohort.id]
        assert other.id not in [m.cohort_id for m in user.memberships]
    assert _signed_in(client)


def test_invite_link_prefills_the_code(client, make_cohort):
    cohort = make_cohort()
    page = client.get(f"/register?code={cohort.invite_code}").get_data(as_text=True)
    assert f'value="{cohort.invite_code}"' in page


def _assert_refused(app, client, data, field: str, message: str):  # type: ignore[no-untyped-def]
    before = _counts(app)
    response = client.post("/register", data=data)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert message in page
    assert f'id="{field}-error"' in page
    assert _counts(app) == before
    assert not _signed_in(client)
    # What was typed is kept, except the passwords.
    for name in ("name", "email", "invite_code"):
        value = data[name]
        if value and len(value) < 300:
            assert f'value="{value}"' in page, name
    assert PASSWORD not in page
    return page


def test_unknown_code_is_refused(app, client, make_cohort):
    make_cohort()
    _assert_refused(
        app, client, _form("ZZZZ-ZZZZ-ZZZZ"), "invite_code", "invite code is not valid"
    )


def test_a_replaced_code_no_longer_works(app, client, make_cohort):
    cohort = make_cohort()
    old_code = cohort.invite_code
    with app.app_context():
        db.session.get(Cohort, cohort.id).invite_code = "NEWC-ODE2-3456"
        db.session.commit()
    _assert_refused(
        app, client, _form(old_code), "invite_code", "ask for the current one"
    )
    assert client.post("/register", data=_form("NEWC-ODE2-3456")).status_code == 302


@pytest.mark.parametrize("typed", ["taken@example.org", "TAKEN@Example.ORG"])
def test_duplicate_email_in_any_case_is_refused(
    app, client, make_cohort, make_user, typed
):
    cohort = make_cohort()
    make_user(email="taken@example.org")
    _assert_refused(
        app,
        client,
        _form(cohort.invite_code, email=typed),
        "email",
        "An account with this email address already exists",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("invite_code", "", "Enter the invite code"),
        ("name", "", "Enter your name."),
        ("name", "   ", "Enter your name."),
        ("email", "", "Enter your email address"),
        ("email", "not-an-address", "Enter your email address"),
        ("password", "", "Choose a password."),
        ("confirm", "", "Repeat the password."),
        ("confirm", "different-words-here-77", "The two passwords do not match."),
        ("invite_code", "A" * 41, "An invite code is at most 40 characters."),
        ("name", "N" * 121, "Use at most 120 characters."),
        ("email", "a" * 250 + "@example.org", "Use at most 254 characters."),
        ("password", "x" * 129, "Use at most 128 characters."),
    ],
)
def test_bad_fields_get_a_message_and_create_nothing(
    app, client, make_cohort, field, value, message
):
    cohort = make_cohort()
    data = _form(cohort.invite_code, **{field: value})
    if field == "password":
        data["confirm"] = value
    _assert_refused(app, client, data, field, message)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "Use at least 8 characters"),
        ("password1", "one of the most common passwords"),
        ("ada@example.org", "easy to guess"),
    ],
)
def test_weak_password_is_refused_with_the_reason(
    app, client, make_cohort, password, message
):
    cohort = make_cohort()
    data = _form(cohort.invite_code, password=password, confirm=password)
    page = _assert_refused(app, client, data, "password", message)
    assert f'value="{password}"' not in page.replace('value="ada@example.org"', "")


def test_signed_in_person_is_sent_home(client, make_user, login):
    login(make_user())
    response = client.get("/register")
    assert response.status_code == 302
