"""Password policy (length, common, zxcvbn) and scrypt hashing with re-hash on login."""

from __future__ import annotations

import pytest

from kaptrain.extensions import db
from kaptrain.models import User
from kaptrain.people.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from tests.support.settings import PASSWORD, TEST_PASSWORD_METHOD

pytestmark = pytest.mark.content(None)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "Use at least 8 characters"),
        ("abc", "Use at least 8 characters"),
        ("q7#Lm2!", "Use at least 8 characters"),  # 7 characters, however "complex"
        ("x" * (MAX_LENGTH + 1), f"Use at most {MAX_LENGTH} characters"),
        ("password", "one of the most common passwords"),
        ("Password1", "one of the most common passwords"),
        ("qwertyuiop", "one of the most common passwords"),
        ("iloveyou", "one of the most common passwords"),
        ("aaaaaaaaaaaa", "easy to guess"),
        ("abcdefgh123", "easy to guess"),
        ("Summer2024!", "easy to guess"),
        ("johnsmith1990", "easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, reason):
    problem = password_problem(password)
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        "maple orbit cinder quartz",  # only lower-case letters: no composition rules
        "Grüne Tinte auf kaltem Papier",
        "ketamine-lantern-oxbow",
        "w" + "q7Lm2tZ9" * 15,  # 121 characters
        ("correct mango tiger " * 7)[:MAX_LENGTH],  # exactly the maximum
    ],
)
def test_strong_passwords_are_accepted(password):
    assert MIN_LENGTH <= len(password) <= MAX_LENGTH
    assert password_problem(password) is None


@pytest.mark.parametrize(
    "password", ["ngoziadeyemi", "Adeyemi2024", "ngozi.adeyemi@example.org"]
)
def test_a_password_made_of_the_persons_own_details_is_refused(password):
    inputs = ["ngozi.adeyemi@example.org", "Ngozi Adeyemi"]
    assert password_problem(password) is None  # strong for anyone else
    problem = password_problem(password, inputs)
    assert problem is not None
    assert "easy to guess" in problem


def test_easy_to_guess_message_gives_advice():
    problem = password_problem("abcdefgh123")
    assert problem is not None
    assert len(problem) > len("That password would be easy to guess.")


def test_hash_uses_the_configured_scrypt_method(app):
    with app.app_context():
        stored = hash_password(PASSWORD)
        assert stored.startswith(TEST_PASSWORD_METHOD + "$")
        assert verify_password(stored, PASSWORD)
        assert not verify_password(stored, PASSWORD + "x")
        assert not needs_rehash(stored)


def test_default_method_is_scrypt_n_2_17():
    from kaptrain.platform.config import DEFAULT_PASSWORD_METHOD

    assert DEFAULT_PASSWORD_METHOD == "scrypt:131072:8:1"


def _stored_hash(app, user) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(User, user.id).password_hash


def test_login_rehashes_when_the_method_changes(app, client, make_user, login):
    user = make_user()
    assert _stored_hash(app, user).startswith("scrypt:1024:8:1$")
    app.config["PASSWORD_METHOD"] = "scrypt:2048:8:1"
    login(user)
    stored = _stored_hash(app, user)
    assert stored.startswith("scrypt:2048:8:1$")
    # And the new hash still checks out: sign out and in again.
    client.post("/logout")
    login(user)
    assert _stored_hash(app, user) == stored


def test_failed_login_does_not_rehash(app, client, make_user):
    user = make_user()
    before = _stored_hash(app, user)
    app.config["PASSWORD_METHOD"] = "scrypt:2048:8:1"
    client.post("/login", data={"email": user.email, "password": "wrong-guess-1"})
    assert _stored_hash(app, user) == before


def test_login_keeps_the_hash_when_the_method_is_unchanged(app, make_user, login):
    user = make_user()
    before = _stored_hash(app, user)
    login(user)
    assert _stored_hash(app, user) == before
