"""Passkeys (WebAuthn) as a second method: registered and used through the real
endpoints, checked by the ``webauthn`` library against a software
authenticator's responses."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, Passkey
from tests.support.settings import PASSWORD

from .support.webauthn import SoftAuthenticator

pytestmark = pytest.mark.content(None)

ORIGIN, RP_ID = "http://localhost", "localhost"


def _add_passkey(client: Any, device: SoftAuthenticator, name: str = "Laptop") -> Any:
    options = client.post("/account/mfa/passkeys/options").get_json()
    return client.post(
        "/account/mfa/passkeys",
        data={"credential": device.register(options), "name": name},
    )


def _password_step(client: Any, user: Any) -> None:
    client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_a_passkey_is_added_and_signs_in(app, client, make_user, login):
    user = make_user("supervisor")
    login(user)
    device = SoftAuthenticator(ORIGIN, RP_ID)
    response = _add_passkey(client, device)
    assert response.status_code == 302
    with app.app_context():
        (stored,) = db.session.scalars(select(Passkey)).all()
        assert stored.user_id == user.id and stored.name == "Laptop"
    assert "Laptop" in client.get("/account/mfa").get_data(as_text=True)

    other = app.test_client()
    _password_step(other, user)
    page = other.get("/login/mfa").get_data(as_text=True)
    assert "Use a passkey instead" in page and "js/passkeys.js" in page
    options = other.post("/login/mfa/passkey/options").get_json()
    response = other.post(
        "/login/mfa/passkey", data={"credential": device.authenticate(options)}
    )
    assert response.status_code == 302
    assert other.get("/supervise/cohorts").status_code == 200
    with app.app_context():
        stored = db.session.scalars(select(Passkey)).one()
        assert stored.sign_count == 1 and stored.last_used_at is not None
        details = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "mfa_passed")
        ).all()
    assert "passkey" in details


def test_a_passkey_answer_is_refused_when_replayed_or_from_another_site(
    app, client, make_user, login
):
    user = make_user("supervisor")
    login(user)
    device = SoftAuthenticator(ORIGIN, RP_ID)
    _add_passkey(client, device)

    other = app.test_client()
    _password_step(other, user)
    options = other.post("/login/mfa/passkey/options").get_json()
    phished = device.authenticate(options, origin="http://evil.example")
    refused = other.post("/login/mfa/passkey", data={"credential": phished})
    assert refused.headers["Location"].startswith("/login/mfa")
    assert other.get("/supervise/cohorts").status_code == 302

    options = other.post("/login/mfa/passkey/options").get_json()
    good = device.authenticate(options)
    assert other.post("/login/mfa/passkey", data={"credential": good}).status_code
    third = app.test_client()
    _password_step(third, user)
    third.post("/login/mfa/passkey/options")
    # The same signed answer again: its challenge was used up.
    third.post("/login/mfa/passkey", data={"credential": good})
    assert third.get("/supervise/cohorts").status_code == 302
    with app.app_context():
        failures = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "mfa_failed")
        ).all()
    assert failures == ["passkey", "passkey"]


@pytest.mark.parametrize(
    "credential", ["", "not json", "{}", '{"rawId": 5}', "x" * 30_000]
)
def test_junk_instead_of_a_passkey_answer_is_a_sentence_not_a_500(
    app, client, make_user, login, credential
):
    user = make_user("supervisor")
    login(user)
    assert (
        client.post(
            "/account/mfa/passkeys", data={"credential": credential}
        ).status_code
        == 302
    )
    other = app.test_client()
    _password_step(other, user)
    other.post("/login/mfa/passkey/options")
    response = other.post(
        "/login/mfa/passkey", data={"credential": credential}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "The passkey was not accepted" in response.get_data(as_text=True)


def test_a_passkey_needs_the_authenticator_app_first(client, make_user, login):
    login(make_user())
    response = client.post("/account/mfa/passkeys/options")
    assert response.status_code == 400
    assert "authenticator app first" in response.get_json()["error"]


def test_removing_a_passkey(app, client, make_user, login):
    user = make_user("author")
    login(user)
    _add_passkey(client, SoftAuthenticator(ORIGIN, RP_ID))
    with app.app_context():
        passkey_id = db.session.scalars(select(Passkey.id)).one()
    stranger = make_user("author")
    other = app.test_client()
    from .support.mfa import sign_in

    sign_in(other, stranger, PASSWORD)
    assert other.post(f"/account/mfa/passkeys/{passkey_id}/delete").status_code == 404
    assert client.post(f"/account/mfa/passkeys/{passkey_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Passkey)).all() == []
