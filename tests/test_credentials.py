"""Signed Open Badges credentials: sign then verify, tampering named, rotation,
revocation, contexts without network, the JSON download and the PDF."""

from __future__ import annotations

import copy
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.learning.credentials import issuance, keys, proofs
from kaptrain.learning.credentials.verification import verify_document
from kaptrain.models import AuditEvent, Certificate, IssuedCredential, OutboxMessage
from kaptrain.web.learn.credential_links import credential_or_none
from tests.support.credentials import BASE_URL, credential_config, make_certificate
from tests.support.mail import mail_in_folder


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return credential_config(tmp_path)


@pytest.fixture
def signed(app: Any, make_user: Any) -> tuple[Any, Certificate, dict[str, Any]]:
    """A trainee, their certificate and its signed credential (a key made first)."""
    user = make_user(name="Łucja Ñúñez", email="lucja@example.org")
    cert = make_certificate(app, user)
    with app.test_request_context(), app.app_context():
        keys.generate()
        credential = credential_or_none(db.session.get(Certificate, cert.id))
    assert credential is not None
    return user, cert, credential


def _verify(app: Any, document: Any) -> Any:
    with app.app_context():
        return verify_document(document)


def test_a_signed_credential_says_what_the_certificate_says(
    app: Any, signed: Any
) -> None:
    user, cert, credential = signed
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["creditsAvailable"] == 1.5
    assert subject["creditsEarned"] == 1.5
    assert achievement["version"] == "1.2"
    assert subject["activityEndDate"] == "2026-11-30T14:05:00Z"
    assert credential["issuer"]["id"] == "did:web:training.example.org"
    assert credential["issuer"]["description"].startswith("Approved by the Example")
    name, email = subject["identifier"]
    assert name["identityHash"] == "Łucja Ñúñez" and name["identityType"] == "name"
    assert email["hashed"] is True and email["identityHash"].startswith("sha256$")
    assert "lucja@example.org" not in json.dumps(credential)
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["credentialStatus"]["statusListIndex"] == str(cert.id)
    outcome = _verify(app, credential)
    assert outcome.status == "valid", outcome.message
    assert outcome.certificate.code == cert.code


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def test_every_value_in_the_credential_is_covered_by_the_signature(
    app: Any, signed: Any
) -> None:
    """A term the contexts do not define would be dropped from the canonical form,
    and so left unsigned: changing any value must break the signature."""
    _user, _cert, credential = signed
    with app.app_context():
        multibase = keys.all_keys()[0].public_key_multibase
        public = proofs.public_key_from_multibase(multibase)
        for path, value in _leaves(credential):
            if path[0] in {"@context", "proof"}:
                continue
            changed = copy.deepcopy(credential)
            target = changed
            for step in path[:-1]:
                target = target[step]
            if isinstance(value, bool):
                target[path[-1]] = not value
            elif isinstance(value, int | float):
                target[path[-1]] = value + 1
            else:
                target[path[-1]] = value + "x"
            assert not proofs.signature_matches(changed, public), path


def _edit(credential: dict[str, Any], part: str) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    subject = changed["credentialSubject"]
    if part == "name":
        subject["identifier"][0]["identityHash"] = "Lucja Nunez"
    elif part == "hours":
        subject["creditsEarned"] = 15
    elif part == "date":
        subject["activityEndDate"] = "2026-11-29T14:05:00Z"
    else:
        value = changed["proof"]["proofValue"]
        changed["proof"]["proofValue"] = value[:-1] + ("A" if value[-1] != "A" else "B")
    return changed


@pytest.mark.parametrize(
    ("part", "label"),
    [
        ("name", "the trainee's name or e-mail"),
        ("hours", "the CE hours"),
        ("date", "the completion date"),
        ("proof", "the signature (proof)"),
    ],
)
def test_a_one_character_change_is_tampering_and_says_what_changed(
    app: Any, client: Any, signed: Any, part: str, label: str
) -> None:
    _user, _cert, credential = signed
    changed = _edit(credential, part)
    outcome = _verify(app, changed)
    assert outcome.status == "tampered"
    assert outcome.changes == [label]
    pasted = json.dumps(changed, indent=2)
    page = client.post("/verify/credential", data={"credential": pasted})
    html = page.get_data(as_text=True)
    assert "This credential was tampered with" in html
    assert label.replace("'", "&#39;") in html
    assert "Łucja Ñúñez" not in html or part != "name"


def test_uploaded_file_verifies_valid(client: Any, signed: Any) -> None:
    import io

    _user, cert, credential = signed
    upload = (io.BytesIO(json.dumps(credential).encode()), "credential.json")
    page = client.post(
        "/verify/credential",
        data={"upload": upload},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Genuine and unchanged" in html and cert.code in html


def test_not_json_keeps_the_pasted_text(client: Any, signed: Any) -> None:
    page = client.post("/verify/credential", data={"credential": "{oops, not json"})
    html = page.get_data(as_text=True)
    assert "This is not JSON" in html
    assert "{oops, not json</textarea>" in html


def test_empty_form_says_what_to_do(client: Any, signed: Any) -> None:
    page = client.post("/verify/credential", data={"credential": "  "})
    assert page.status_code == 400
    assert "Paste a credential or choose a file" in page.get_data(as_text=True)


def test_a_credential_signed_by_another_key_is_unknown(app: Any, signed: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _user, _cert, credential = signed
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    other = Ed25519PrivateKey.generate()
    method = "did:web:elsewhere.example#" + proofs.public_key_multibase(
        other.public_key()
    )
    forged = proofs.sign(unsigned, other, method, "2026-12-01T00:00:00Z")
    outcome = _verify(app, forged)
    assert outcome.status == "unknown_key"
    assert "not signed with a key of this site" in outcome.message


def test_an_unknown_context_is_refused_without_fetching(app: Any, signed: Any) -> None:
    _user, _cert, credential = signed
    changed = copy.deepcopy(credential)
    changed["@context"].append("https://attacker.example/context.json")
    outcome = _verify(app, changed)
    assert outcome.status == "not_credential"
    assert "https://attacker.example/context.json" in outcome.message


def test_contexts_load_with_the_network_disabled(
    app: Any, signed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a credential check tried to use the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    _user, _cert, credential = signed
    assert _verify(app, credential).status == "valid"
    assert _verify(app, _edit(credential, "hours")).status == "tampered"


def test_a_retired_key_still_verifies_and_new_credentials_use_the_new_key(
    app: Any, client: Any, make_user: Any, signed: Any
) -> None:
    _user, _cert, credential = signed
    with app.app_context():
        old, new = keys.rotate()
    assert credential["proof"]["verificationMethod"].endswith(old)
    outcome = _verify(app, credential)
    assert outcome.status == "valid" and outcome.key_retired
    other = make_certificate(app, make_user())
    with app.test_request_context(), app.app_context():
        fresh = credential_or_none(db.session.get(Certificate, other.id))
    assert fresh["proof"]["verificationMethod"] == f"did:web:training.example.org#{new}"
    assert _verify(app, fresh).status == "valid"
    did = client.get("/.well-known/did.json").get_json()
    assert did["id"] == "did:web:training.example.org"
    listed = [m["publicKeyMultibase"] for m in did["verificationMethod"]]
    assert listed == [old, new]
    assert len(did["assertionMethod"]) == 2


def test_revoked_reports_revoked_everywhere_and_reinstating_is_recorded(
    app: Any, client: Any, make_user: Any, login: Any, signed: Any
) -> None:
    user, cert, credential = signed
    admin = make_user("admin")
    with app.test_request_context(), app.app_context():
        row = db.session.get(Certificate, cert.id)
        assert issuance.revoke(row, "Post-test taken by someone else.", admin)
        assert not issuance.revoke(row, "again", admin)  # a double submit: no-op
    outcome = _verify(app, credential)
    assert outcome.status == "revoked"
    assert "Post-test taken by someone else." in outcome.message
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Certificate revoked" in page and "Post-test taken by someone" in page
    status = client.get("/credentials/status/1").get_json()
    assert status["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    bits = issuance.decode_bitstring(status["credentialSubject"]["encodedList"])
    assert len(bits) == 16384
    assert bits[cert.id // 8] & (0x80 >> (cert.id % 8))
    assert _verify(app, status).status == "valid"
    login(user)
    mine = client.get(f"/certificates/{cert.code}").get_data(as_text=True)
    assert "This certificate was revoked on" in mine
    with app.app_context():
        assert issuance.reinstate(
            db.session.get(Certificate, cert.id), admin, "Mistake."
        )
        actions = list(
            db.session.execute(
                select(AuditEvent.action).order_by(AuditEvent.id)
            ).scalars()
        )
        mails = list(db.session.execute(select(OutboxMessage)).scalars())
    assert [a for a in actions if a.startswith("certificate_")] == [
        "certificate_revoked",
        "certificate_reinstated",
    ]
    assert [m.recipient for m in mails] == [user.email, user.email]
    told = mail_in_folder(app.config["MAIL_DIR"], user.email, "was revoked")
    assert "Post-test taken by someone else." in told.get_content()
    assert mail_in_folder(app.config["MAIL_DIR"], user.email, "valid again")
    assert _verify(app, credential).status == "valid"
    bits = issuance.decode_bitstring(
        client.get("/credentials/status/1").get_json()["credentialSubject"][
            "encodedList"
        ]
    )
    assert not any(bits)


def test_signing_twice_keeps_one_credential(app: Any, signed: Any) -> None:
    _user, cert, credential = signed
    with app.test_request_context(), app.app_context():
        again = credential_or_none(db.session.get(Certificate, cert.id))
        count = db.session.execute(
            select(func.count()).select_from(IssuedCredential)
        ).scalar_one()
    assert again == credential and count == 1


def test_without_a_key_the_certificate_page_still_works(
    app: Any, client: Any, make_user: Any, login: Any
) -> None:
    user = make_user()
    cert = make_certificate(app, user)
    login(user)
    page = client.get(f"/certificates/{cert.code}").get_data(as_text=True)
    assert "has not set up its signing key" in page
    assert client.get(f"/certificates/{cert.code}.json").status_code == 503
    assert client.get(f"/certificates/{cert.code}.pdf").status_code == 200
    verify = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Certificate verified" in verify


def test_owner_downloads_json_and_pdf_with_the_credential_attached(
    app: Any, client: Any, login: Any, signed: Any
) -> None:
    user, cert, credential = signed
    login(user)
    page = client.get(f"/certificates/{cert.code}").get_data(as_text=True)
    assert "Add it to a wallet" in page
    response = client.get(f"/certificates/{cert.code}.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_json() == credential
    pdf = client.get(f"/certificates/{cert.code}.pdf").data
    assert b"/EmbeddedFile" in pdf
    assert f"credential-{cert.code}.json".encode() in pdf
    assert pdf.count(b"/Subtype /Image") == 1


def test_another_trainee_cannot_download_the_json(
    app: Any, client: Any, make_user: Any, login: Any, signed: Any
) -> None:
    _user, cert, _credential = signed
    login(make_user())
    assert client.get(f"/certificates/{cert.code}.json").status_code == 404


def test_verify_page_rechecks_the_signature(app: Any, client: Any, signed: Any) -> None:
    _user, cert, credential = signed
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "the signature is genuine" in page
    with app.app_context():
        row = db.session.get(IssuedCredential, cert.id)
        row.credential_json = json.dumps(_edit(credential, "hours"))
        db.session.commit()
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Certificate could not be verified" in page


def test_did_document_is_served_and_base_url_names_the_issuer(
    client: Any, signed: Any
) -> None:
    did = client.get("/.well-known/did.json").get_json()
    assert did["verificationMethod"][0]["type"] == "Multikey"
    assert did["verificationMethod"][0]["controller"] == "did:web:" + BASE_URL[8:]


def test_a_racing_first_view_keeps_the_winners_credential(
    app: Any, make_user: Any, signed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another request stores the credential between our check and our insert:
    ours is dropped by the unique key and the stored one is returned."""
    other = make_certificate(app, make_user())
    real_current_key = keys.current_key

    def racing_current_key() -> Any:
        result = real_current_key()
        db.session.add(
            IssuedCredential(
                certificate_id=other.id,
                key_multibase=result[1],
                status_index=other.id,
                credential_json='{"winner": true}',
            )
        )
        db.session.commit()
        return result

    monkeypatch.setattr(keys, "current_key", racing_current_key)
    with app.test_request_context(), app.app_context():
        got = credential_or_none(db.session.get(Certificate, other.id))
        count = db.session.execute(
            select(func.count())
            .select_from(IssuedCredential)
            .where(IssuedCredential.certificate_id == other.id)
        ).scalar_one()
    assert got == {"winner": True} and count == 1


def test_an_upload_that_is_not_text_is_refused_clearly(
    client: Any, signed: Any
) -> None:
    import io

    upload = (io.BytesIO(b"\xff\xfe\x00binary"), "credential.json")
    page = client.post(
        "/verify/credential",
        data={"upload": upload},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert "This file is not text" in page.get_data(as_text=True)
