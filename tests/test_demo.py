"""flask demo: five accounts and a cohort, idempotent, known or printed password."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kaptrain.cli.demo_commands import DEMO_ACCOUNTS
from kaptrain.extensions import db
from kaptrain.models import Cohort, CohortMember, User, cohort_supervisors
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.content(None)


def _counts(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        count = db.session.scalar
        return {
            "users": count(select(func.count()).select_from(User)),
            "cohorts": count(select(func.count()).select_from(Cohort)),
            "members": count(select(func.count()).select_from(CohortMember)),
            "supervisors": count(select(func.count()).select_from(cohort_supervisors)),
        }


def _signs_in(app, email: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    response = app.test_client().post(
        "/login", data={"email": email, "password": password}
    )
    return response.status_code == 302


EXPECTED = {"users": 5, "cohorts": 1, "members": 2, "supervisors": 1}


def test_demo_creates_the_accounts_and_is_idempotent(app, runner, monkeypatch):
    monkeypatch.setenv("KAPTRAIN_DEMO_PASSWORD", PASSWORD)
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert _counts(app) == EXPECTED
    with app.app_context():
        for email, _name, roles in DEMO_ACCOUNTS:
            user = db.session.scalars(select(User).where(User.email == email)).one()
            assert user.roles == set(roles)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert "already existed" in second.output
    assert _counts(app) == EXPECTED
    for email, _name, _roles in DEMO_ACCOUNTS:
        assert _signs_in(app, email, PASSWORD), email


def test_demo_without_a_password_prints_a_generated_one_once(app, runner, monkeypatch):
    monkeypatch.delenv("KAPTRAIN_DEMO_PASSWORD", raising=False)
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    match = re.search(r"Password for the new demo accounts: (\S+)", first.output)
    assert match
    password = match.group(1)
    assert len(password) >= 16
    for email, _name, _roles in DEMO_ACCOUNTS:
        assert _signs_in(app, email, password), email
    second = runner.invoke(args=["demo"])
    assert password not in second.output
    assert _counts(app) == EXPECTED


def test_demo_refuses_a_weak_password(app, runner, monkeypatch):
    monkeypatch.setenv("KAPTRAIN_DEMO_PASSWORD", "password")
    result = runner.invoke(args=["demo"])
    assert result.exit_code != 0
    assert "KAPTRAIN_DEMO_PASSWORD is too weak" in result.output
    assert _counts(app)["users"] == 0


def test_demo_enrols_staff_with_a_printed_authenticator_key(app, runner, monkeypatch):
    """A newcomer reads the key from the output and signs in as the supervisor."""
    import pyotp

    monkeypatch.setenv("KAPTRAIN_DEMO_PASSWORD", PASSWORD)
    monkeypatch.delenv("KAPTRAIN_DEMO_TOTP_SECRET", raising=False)
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    match = re.search(r"authenticator key ([A-Z2-7]{32})\n", first.output)
    assert match, first.output
    key = match.group(1)
    assert f"oathtool --totp -b {key}" in first.output
    client = app.test_client()
    response = client.post(
        "/login", data={"email": "supervisor@example.org", "password": PASSWORD}
    )
    assert response.headers["Location"].startswith("/login/mfa")
    code = pyotp.TOTP(key).now()
    assert client.post("/login/mfa", data={"code": code}).status_code == 302
    assert client.get("/supervise/cohorts").status_code == 200
    # Trainees are not enrolled; running again keeps the key and does not show it.
    assert _signs_in(app, "trainee@example.org", PASSWORD)
    second = runner.invoke(args=["demo"])
    assert key not in second.output and "KAPTRAIN_DEMO_TOTP_SECRET" in second.output


def test_demo_takes_the_authenticator_key_from_the_environment(
    app, runner, monkeypatch
):
    monkeypatch.setenv("KAPTRAIN_DEMO_PASSWORD", PASSWORD)
    monkeypatch.setenv("KAPTRAIN_DEMO_TOTP_SECRET", "jbsw y3dp ehpk 3pxp")
    result = runner.invoke(args=["demo"])
    assert "authenticator key JBSWY3DPEHPK3PXP" in result.output
    monkeypatch.setenv("KAPTRAIN_DEMO_TOTP_SECRET", "not base32!")
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0
    assert "KAPTRAIN_DEMO_TOTP_SECRET must be a base32 key" in refused.output
