"""Registration by cohort invite code: what is created, and what bad input gets.

Since issue 13 registering takes two steps: the form (code, name, address)
answers "check your e-mail" for every address, and the e-mailed link is where a
new person chooses a password; the owner of an existing account is told by
e-mail instead, so the form never reveals who has an account.
"""

from __future__ import annotations

import html
import re
import time
from unittest import mock

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.models import TRAINEE, Cohort, CohortMember, User
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.content(None)


def _counts(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
        members = db.session.scalar(select(func.count()).select_from(CohortMember))
        return users, members


def _form(code: str, **overrides: str) -> dict[str, str]:
    data = {"invite_code": code, "name": "Ada Okafor", "email": "ada@example.org"}
    data.update(overrides)
    return data


def _confirm_path(mailbox, address: str = "ada@example.org") -> str:  # type: ignore[no-untyped-def]
    message = mailbox.wait_for_subject("Finish creating")
    assert message["To"] == address
    match = re.search(r"http://localhost(/register/confirm/\S+)", mailbox.text(message))
    assert match, mailbox.text(message)
    return match.group(1)


def _choose(client, path: str, password: str = PASSWORD, confirm: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        data={
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/account/password").status_code == 200


def test_valid_code_creates_a_signed_in_trainee_in_that_cohort(
    app, client, make_cohort, mailbox
):
    cohort = make_cohort()
    other = make_cohort()
    response = client.post("/register", data=_form(cohort.invite_code.lower()))
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert _counts(app) == (0, 0)  # nothing until the address is proved
    path = _confirm_path(mailbox)
    page = client.get(path).get_data(as_text=True)
    assert "Ada Okafor" in page and "ada@example.org" in page
    response = _choose(client, path)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.execute(select(User)).scalar_one()
        assert user.email == "ada@example.org"
        assert user.roles == {TRAINEE}
        assert [m.cohort_id for m in user.memberships] == [cohort.id]
        assert other.id not in [m.cohort_id for m in user.memberships]
    assert _signed_in(client)
    # The link works once.
    again = app.test_client()
    assert again.get(path).status_code == 404
    assert _choose(again, path).status_code == 404
    assert _counts(app) == (1, 1)


def test_a_tampered_or_expired_confirm_link_is_refused(
    app, client, make_cohort, mailbox
):
    cohort = make_cohort()
    client.post("/register", data=_form(cohort.invite_code))
    path = _confirm_path(mailbox)
    assert client.get(path[:-3] + "xyz").status_code == 404
    # Expired: older than REGISTER_LINK_HOURS (48), it registers nobody.
    later = time.time() + 49 * 3600
    with mock.patch("itsdangerous.timed.time.time", return_value=later):
        response = client.get(path)
    assert response.status_code == 404
    assert "This link is not valid" in response.get_data(as_text=True)


# Issue 13 (account enumeration): the same answer for an address in use.
@pytest.mark.parametrize("typed", ["taken@example.org", "TAKEN@Example.ORG"])
def test_an_existing_address_gets_the_same_answer_and_the_owner_an_email(
    app, client, make_cohort, make_user, mailbox, typed
):
    cohort = make_cohort()
    make_user(email="taken@example.org")
    fresh = client.post("/register", data=_form(cohort.invite_code, email="new@x.org"))
    taken = app.test_client().post(
        "/register", data=_form(cohort.invite_code, email=typed)
    )
    assert taken.status_code == fresh.status_code == 200

    def normalised(response) -> str:  # type: ignore[no-untyped-def]
        text = response.get_data(as_text=True)
        return re.sub(r"new@x\.org|taken@example\.org", "ADDRESS", text)

    assert normalised(taken) == normalised(fresh)
    assert _counts(app) == (1, 0)  # only the existing account, no new one
    owner = mailbox.wait_for_subject("You already have")
    assert owner["To"] == "taken@example.org"
    body = mailbox.text(owner)
    assert "nothing new was created" in body and "invitation" in body


def test_an_existing_trainee_who_types_a_code_finds_an_invitation(
    app, client, make_cohort, make_user, mailbox
):
    cohort = make_cohort()
    user = make_user(email="taken@example.org")
    client.post("/register", data=_form(cohort.invite_code, email=user.email))
    mailbox.wait_for_subject("You already have")
    signed_in = app.test_client()
    signed_in.post("/login", data={"email": user.email, "password": PASSWORD})
    assert cohort.name in signed_in.get("/", follow_redirects=True).get_data(
        as_text=True
    )
    assert _counts(app) == (1, 0)  # not joined until they accept


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
    assert client.post("/register", data=_form("NEWC-ODE2-3456")).status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("invite_code", "", "Enter the invite code"),
        ("name", "", "Enter your name."),
        ("name", "   ", "Enter your name."),
        ("email", "", "Enter your email address"),
        ("email", "not-an-address", "Enter your email address"),
        ("email", "a,b@example.org", "Enter an email address, like"),
        ("invite_code", "A" * 41, "An invite code is at most 40 characters."),
        ("name", "N" * 121, "Use at most 120 characters."),
        ("email", "a" * 250 + "@example.org", "Use at most 254 characters."),
    ],
)
def test_bad_fields_get_a_message_and_create_nothing(
    app, client, make_cohort, field, value, message
):
    cohort = make_cohort()
    data = _form(cohort.invite_code, **{field: value})
    _assert_refused(app, client, data, field, message)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("", "", "Choose a password."),
        (PASSWORD, "", "Repeat the password."),
        (PASSWORD, "different-words-here-77", "The two passwords do not match."),
        ("x" * 129, None, "Use at most 128 characters."),
        ("short1", None, "Use at least 8 characters"),
        ("password1", None, "one of the most common passwords"),
        ("ada@example.org", None, "easy to guess"),
    ],
)
def test_a_bad_password_at_the_link_is_refused_with_the_reason(
    app, client, make_cohort, mailbox, password, confirm, message
):
    cohort = make_cohort()
    client.post("/register", data=_form(cohort.invite_code))
    path = _confirm_path(mailbox)
    response = _choose(client, path, password, confirm)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert message in page
    assert 'id="password-error"' in page or 'id="confirm-error"' in page
    assert _counts(app) == (0, 0)
    assert not _signed_in(client)
    if password:
        assert f'value="{password}"' not in page
    # The link still works after a refusal.
    assert _choose(client, path).status_code == 302


def test_signed_in_person_is_sent_home(client, make_user, login):
    login(make_user())
    response = client.get("/register")
    assert response.status_code == 302
