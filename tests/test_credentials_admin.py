"""Credentials: the admin's revoke and reinstate pages, the keys and credential
commands, and the signing-key setting."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.learning.credentials import issuance
from kaptrain.models import AuditEvent, Certificate, CertificateRevocation, User
from kaptrain.platform.config import ConfigError, load_config
from kaptrain.web.learn.credential_links import credential_or_none
from tests.support.credentials import credential_config, make_certificate
from tests.support.mfa import age_reauth


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return credential_config(tmp_path)


@pytest.fixture
def certificate(app: Any, make_user: Any, runner: Any) -> Certificate:
    assert runner.invoke(args=["keys", "generate"]).exit_code == 0
    return make_certificate(app, make_user(name="Noor Haddad"))


def _revocation(app: Any, cert: Certificate) -> Any:
    with app.app_context():
        return db.session.get(CertificateRevocation, cert.id)


def test_admin_finds_revokes_and_reinstates_a_certificate(
    app: Any, client: Any, make_user: Any, login: Any, certificate: Certificate
) -> None:
    login(make_user("admin"))
    listing = client.get("/admin/certificates?q=noor").get_data(as_text=True)
    assert certificate.code in listing and "Valid" in listing
    detail_url = f"/admin/certificates/{certificate.id}"
    assert "Revoke certificate" in client.get(detail_url).get_data(as_text=True)
    response = client.post(
        f"{detail_url}/revoke", data={"reason": "Identity could not be confirmed."}
    )
    assert response.status_code == 302
    assert _revocation(app, certificate).reason == "Identity could not be confirmed."
    page = client.get(detail_url).get_data(as_text=True)
    assert "Revoked" in page and "Reinstate certificate" in page
    again = client.post(f"{detail_url}/revoke", data={"reason": "Twice"})
    assert again.status_code == 302
    assert _revocation(app, certificate).reason == "Identity could not be confirmed."
    client.post(f"{detail_url}/reinstate", data={"note": "Confirmed by phone."})
    assert _revocation(app, certificate) is None
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.action.like("certificate_%")
            )
        ).all()
    assert [e.action for e in events] == [
        "certificate_revoked",
        "certificate_reinstated",
    ]
    assert "Confirmed by phone." in events[1].detail


def test_revoking_without_a_reason_says_what_to_do(
    app: Any, client: Any, make_user: Any, login: Any, certificate: Certificate
) -> None:
    login(make_user("admin"))
    long = "x" * 501
    response = client.post(
        f"/admin/certificates/{certificate.id}/revoke", data={"reason": long}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "500 characters or fewer" in html and long in html
    response = client.post(
        f"/admin/certificates/{certificate.id}/revoke", data={"reason": " "}
    )
    assert "Say why the certificate is revoked" in response.get_data(as_text=True)
    assert _revocation(app, certificate) is None


def test_unknown_certificate_is_404(client: Any, make_user: Any, login: Any) -> None:
    login(make_user("admin"))
    assert client.get("/admin/certificates/999999").status_code == 404
    assert client.post("/admin/certificates/999999/revoke").status_code == 404


def test_keys_generate_writes_a_private_file_once(app: Any, runner: Any) -> None:
    result = runner.invoke(args=["keys", "generate"])
    assert result.exit_code == 0, result.output
    assert "Back up the key file" in result.output
    path = Path(app.config["SIGNING_KEY_FILE"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in path.read_bytes()
    again = runner.invoke(args=["keys", "generate"])
    assert again.exit_code != 0 and "keys rotate" in again.output
    listed = runner.invoke(args=["keys", "list"]).output
    assert "current" in listed and listed.startswith("z6Mk")


def test_keys_generate_print_gives_a_valid_setting(runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["keys", "generate", "--print"])
    assert result.exit_code == 0
    key = result.stdout.strip().splitlines()[0]
    assert len(key) == 64
    assert not (tmp_path / "signing_key.pem").exists()


def test_keys_rotate_retires_the_old_key(runner: Any, certificate: Any) -> None:
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "still verify" in result.output
    lines = runner.invoke(args=["keys", "list"]).output.splitlines()
    assert "retired" in lines[0] and lines[1].endswith("current")


def test_keys_without_a_key_say_how_to_make_one(runner: Any) -> None:
    assert "keys generate" in runner.invoke(args=["keys", "list"]).output
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code != 0 and "keys generate" in result.output


def _signed_file(app: Any, cert: Certificate, tmp_path: Path) -> Path:
    with app.test_request_context(), app.app_context():
        credential = credential_or_none(db.session.get(Certificate, cert.id))
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential), encoding="utf-8")
    return path


def test_credential_verify_command_exit_status(
    app: Any, runner: Any, certificate: Certificate, tmp_path: Path
) -> None:
    path = _signed_file(app, certificate, tmp_path)
    good = runner.invoke(args=["credential", "verify", str(path)])
    assert good.exit_code == 0 and good.output.startswith("VALID")
    document = json.loads(path.read_text())
    document["credentialSubject"]["creditsEarned"] = 20
    path.write_text(json.dumps(document))
    bad = runner.invoke(args=["credential", "verify", str(path)])
    assert bad.exit_code == 1
    assert "TAMPERED" in bad.output and "changed: the CE hours" in bad.output
    path.write_text("not json")
    assert runner.invoke(args=["credential", "verify", str(path)]).exit_code == 1
    missing = runner.invoke(args=["credential", "verify", str(tmp_path / "none")])
    assert missing.exit_code != 0 and "Cannot read" in missing.output


@pytest.mark.parametrize("value", ["abc", "12" * 31, "zz" * 32])
def test_a_malformed_signing_key_setting_is_refused(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAPTRAIN_SIGNING_KEY", value)
    with pytest.raises(ConfigError, match="KAPTRAIN_SIGNING_KEY must be"):
        load_config(tmp_path, {"SECRET_KEY": "x" * 40})


def test_the_signing_key_setting_signs(
    app: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KAPTRAIN_SIGNING_KEY", "AB" * 32)
    assert load_config(tmp_path, {"SECRET_KEY": "x" * 40})["SIGNING_KEY"] == "ab" * 32
    app.config["SIGNING_KEY"] = "ab" * 32
    cert = make_certificate(app, make_user())
    with app.test_request_context(), app.app_context():
        credential = credential_or_none(db.session.get(Certificate, cert.id))
    assert credential is not None
    assert not Path(app.config["SIGNING_KEY_FILE"]).exists()


def test_a_new_key_retires_the_lost_one(
    app: Any, runner: Any, certificate: Certificate, tmp_path: Path
) -> None:
    """The key file is lost: generating a new one retires the old key, whose
    credentials still verify."""
    path = _signed_file(app, certificate, tmp_path)
    Path(app.config["SIGNING_KEY_FILE"]).unlink()
    assert runner.invoke(args=["keys", "generate"]).exit_code == 0
    lines = runner.invoke(args=["keys", "list"]).output.splitlines()
    assert "retired" in lines[0] and lines[1].endswith("current")
    assert runner.invoke(args=["credential", "verify", str(path)]).exit_code == 0


def test_the_private_key_is_not_in_a_backup(
    app: Any, runner: Any, certificate: Certificate, tmp_path: Path
) -> None:
    """`flask backup` copies the database: the signed credential and the public key
    are in it, the private key is not."""
    from cryptography.hazmat.primitives import serialization
    from flask_migrate import stamp

    from tests.support.database import PG_URL

    if PG_URL:
        pytest.skip("the SQLite backup file is searched byte for byte")
    _signed_file(app, certificate, tmp_path)
    with app.app_context():
        stamp()
        db.session.remove()
    pem = Path(app.config["SIGNING_KEY_FILE"]).read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    seed = key.private_bytes_raw()  # type: ignore[union-attr]
    backup = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    data = backup.read_bytes()
    assert b"eddsa-rdfc-2022" in data  # the credential is backed up
    assert seed not in data and seed.hex().encode() not in data
    assert pem.splitlines()[1] not in data


def test_revoke_and_reinstate_need_a_recent_confirmation(
    app: Any, client: Any, make_user: Any, login: Any, certificate: Certificate
) -> None:
    admin = make_user("admin")
    login(admin)
    detail_url = f"/admin/certificates/{certificate.id}"
    assert "confirm it is you" not in client.get(detail_url).get_data(as_text=True)
    age_reauth(app, admin.id)
    page = client.get(detail_url).get_data(as_text=True)
    assert "confirm it is you</a> first" in page  # said before anything is typed
    response = client.post(f"{detail_url}/revoke", data={"reason": "Shared login."})
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/confirm" and "next=" in location.query
    assert _revocation(app, certificate) is None

    with app.app_context():
        issuance.revoke(
            db.session.get(Certificate, certificate.id),
            "Shared login.",
            db.session.get(User, admin.id),
        )
    response = client.post(f"{detail_url}/reinstate", data={"note": "By mistake."})
    assert urlsplit(response.headers["Location"]).path == "/account/confirm"
    assert _revocation(app, certificate) is not None
