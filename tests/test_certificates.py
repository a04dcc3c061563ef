"""Certificates: never before completion, once after, printable, PDF, verifiable."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.learning.certificates import (
    _latin1,
    certificate_pdf,
    issue_certificate_if_complete,
    new_code,
    normalize_code,
)
from kaptrain.learning.course import current_catalog
from kaptrain.models import Certificate, User, utcnow
from tests.support.learn import (
    MODULE_ID,
    QUIZ_URL,
    finish_lessons,
    start_post_test,
    submit_attempt,
    submit_evaluation,
)

pytestmark = pytest.mark.content("complete-module")


@pytest.fixture
def trainee(make_user: Any, login: Any) -> Any:
    user = make_user(name="Łucja Ñúñez 李")
    login(user)
    return user


def _certificates(app: Any) -> list[Certificate]:
    with app.app_context():
        rows = list(db.session.execute(select(Certificate)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def _pass_post_test(app: Any, client: Any, user: Any) -> None:
    submit_attempt(client, app, start_post_test(client, app, user), correct=True)


@pytest.mark.parametrize("missing", ["lessons", "post-test", "evaluation"])
def test_no_certificate_before_completion(
    app: Any, client: Any, trainee: Any, missing: str
) -> None:
    if missing != "lessons":
        finish_lessons(client)
    if missing != "post-test":
        _pass_post_test(app, client, trainee)
    if missing != "evaluation":
        submit_evaluation(client)
    assert _certificates(app) == []
    page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    assert "View your certificate" not in page


def test_failed_post_test_gives_no_certificate(
    app: Any, client: Any, trainee: Any
) -> None:
    finish_lessons(client)
    submit_evaluation(client)
    submit_attempt(client, app, start_post_test(client, app, trainee), correct=False)
    assert _certificates(app) == []


def test_optional_items_do_not_block_completion(
    app: Any, client: Any, trainee: Any
) -> None:
    finish_lessons(client)  # the case is optional and never played
    _pass_post_test(app, client, trainee)
    submit_evaluation(client)
    assert len(_certificates(app)) == 1


@pytest.fixture
def earned(app: Any, client: Any, trainee: Any) -> Certificate:
    """A certificate earned through the real pages."""
    client.post(f"{QUIZ_URL}/skip-pretest")
    finish_lessons(client)
    _pass_post_test(app, client, trainee)
    submit_evaluation(client)
    [certificate] = _certificates(app)
    return certificate


@pytest.fixture
def certified(app: Any, trainee: Any) -> Certificate:
    """A certificate issued directly (cheaper, for the pages that show one)."""
    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        certificate = Certificate(
            code=new_code(),
            user_id=trainee.id,
            module_id=MODULE_ID,
            module_version=module.version,
            module_title=module.title,
            trainee_name=trainee.name,
            ce_hours=module.ce_hours,
            provider_name="Test Provider",
            provider_approval="Approval 123",
            completed_at=utcnow(),
        )
        db.session.add(certificate)
        db.session.commit()
        db.session.refresh(certificate)
        db.session.expunge(certificate)
    return certificate


def test_certificate_fields_are_snapshots(earned: Certificate, trainee: Any) -> None:
    certified = earned
    assert certified.user_id == trainee.id
    assert certified.trainee_name == "Łucja Ñúñez 李"
    assert certified.module_title == "Racial trauma: a complete example module"
    assert certified.module_version == "1.0.0"
    assert certified.ce_hours == Decimal("1")
    assert certified.format == "online, self-paced"
    assert certified.provider_name == "Test Provider"
    assert certified.provider_approval == "Approval 123"
    assert certified.completed_at.tzinfo is not None
    assert re.fullmatch(
        r"KT-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", certified.code
    )


def test_issuing_again_keeps_one_certificate(
    app: Any, earned: Certificate, trainee: Any
) -> None:
    certified = earned
    with app.test_request_context():
        user = db.session.get(User, trainee.id)
        module = current_catalog().get(MODULE_ID)
        again = issue_certificate_if_complete(user, module)
        db.session.commit()
        assert again is not None and again.code == certified.code
        count = db.session.execute(select(func.count(Certificate.id))).scalar_one()
    assert count == 1


def test_printable_page_shows_every_field(client: Any, certified: Certificate) -> None:
    page = client.get(f"/certificates/{certified.code}").get_data(as_text=True)
    for text in (
        "Certificate of completion",
        "Łucja Ñúñez 李",
        "Racial trauma: a complete example module",
        "1.0.0",
        certified.completed_at.strftime("%Y-%m-%d"),
        "<dd>1</dd>",
        "online, self-paced",
        "Test Provider",
        "Approval 123",
        certified.code,
        f"/verify/{certified.code}",
        "Download PDF",
    ):
        assert text in page, text


def test_pdf_download(client: Any, certified: Certificate) -> None:
    response = client.get(f"/certificates/{certified.code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert certified.code in response.headers["Content-Disposition"]


def test_pdf_without_the_bundled_font_never_crashes(
    app: Any, certified: Certificate, monkeypatch: Any, tmp_path: Any
) -> None:
    import kaptrain.learning.certificates as certificates

    monkeypatch.setattr(certificates, "FONT_PATH", tmp_path / "missing.ttf")
    with app.app_context():
        pdf = certificate_pdf(certified, "https://example.org/verify/x")
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Zoë Müller", "Zoë Müller"),
        ("Łucja", "Lucja"),
        ("李", "?"),
        ("François", "François"),
    ],
)
def test_latin1_fallback(name: str, expected: str) -> None:
    assert _latin1(name) == expected


def test_verify_shows_the_same_fields_publicly(
    client: Any, certified: Certificate
) -> None:
    client.post("/logout")
    response = client.get(f"/verify/{certified.code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "Łucja Ñúñez 李",
        "Racial trauma",
        "1.0.0",
        "Test Provider",
        certified.code,
    ):
        assert text in page


def test_verify_accepts_lower_case(client: Any, certified: Certificate) -> None:
    response = client.get(f"/verify/{certified.code.lower()}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Certificate verified" in page
    assert certified.code in page


@pytest.mark.parametrize(
    "code", ["KT-AAAA-AAAA-AAAA", "nonsense", "KT-0000-0000-0000", "%27%20OR%201=1"]
)
def test_verify_unknown_code_is_plain_not_found(
    client: Any, certified: Certificate, code: str
) -> None:
    client.post("/logout")
    response = client.get(f"/verify/{code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Certificate not found" in page
    assert "Łucja" not in page


def test_verify_form_redirects_to_the_code(client: Any) -> None:
    response = client.get("/verify?code=kt-abcd-efgh-jkmn")
    assert response.headers["Location"].endswith("/verify/KT-ABCD-EFGH-JKMN")


def test_owner_pages_are_private(
    client: Any, certified: Certificate, make_user: Any, login: Any
) -> None:
    client.post("/logout")
    login(make_user())
    assert client.get(f"/certificates/{certified.code}").status_code == 404
    assert client.get(f"/certificates/{certified.code}.pdf").status_code == 404


def test_unknown_certificate_page_is_404(client: Any, trainee: Any) -> None:
    assert client.get("/certificates/KT-AAAA-AAAA-AAAA").status_code == 404


def test_codes_are_unique_and_well_formed() -> None:
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(normalize_code(c) == c for c in codes)
    assert normalize_code(" kt-abcd-efgh-jkmn ") == "KT-ABCD-EFGH-JKMN"
    assert normalize_code("KT-ABCD-EFGH-IJKL") is None  # I is not in the alphabet
