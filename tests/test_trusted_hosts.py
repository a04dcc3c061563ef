"""The Host header is not reflected in absolute links (issue 13).

With ``KAPTRAIN_BASE_URL`` every absolute link starts with it; with
``KAPTRAIN_TRUSTED_HOSTS`` a request for another host is refused; production
requires one of them.
"""

from __future__ import annotations

from typing import Any

import pytest

from kaptrain import create_app
from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.models import Certificate, utcnow
from kaptrain.platform.config import load_config
from kaptrain.platform.setting_values import ConfigError
from kaptrain.platform.urls import absolute_url
from tests.support.learn import MODULE_ID, fixture_config

BASE = "https://training.example.org"
FORGED = "evil.example"


@pytest.fixture
def app_config(request, tmp_path: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {**fixture_config(tmp_path), **getattr(request, "param", {})}


@pytest.fixture
def code(app: Any, trainee: Any) -> str:
    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        certificate = Certificate(
            code="KT-ABCD-EFGH-JKMN",
            user_id=trainee.id,
            module_id=MODULE_ID,
            module_version=module.version,
            module_title=module.title,
            trainee_name=trainee.name,
            ce_hours=module.ce_hours,
            provider_name="Test Provider",
            provider_approval="",
            completed_at=utcnow(),
        )
        db.session.add(certificate)
        db.session.commit()
        return certificate.code


def _as_host(client, host: str) -> None:  # type: ignore[no-untyped-def]
    """Send the signed-in session cookie to ``host`` too."""
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value, domain=host)


@pytest.mark.parametrize("app_config", [{"BASE_URL": BASE}], indirect=True)
def test_a_forged_host_does_not_reach_the_certificate_verify_link(client, code):
    _as_host(client, FORGED)
    page = client.get(f"/certificates/{code}", base_url=f"http://{FORGED}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"{BASE}/verify/{code}" in html
    assert FORGED not in html
    pdf = client.get(f"/certificates/{code}.pdf", base_url=f"http://{FORGED}")
    assert pdf.status_code == 200 and FORGED.encode() not in pdf.data


@pytest.mark.parametrize(
    "app_config",
    [{"TRUSTED_HOSTS": ["training.example.org", "localhost"]}],
    indirect=True,
)
def test_trusted_hosts_refuse_a_forged_host(client, code):
    for host in (FORGED, "training.example.org"):
        _as_host(client, host)
    forged = client.get(f"/certificates/{code}", base_url=f"http://{FORGED}")
    assert forged.status_code == 400
    assert "could not be understood" in forged.get_data(as_text=True)
    assert forged.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/certificates/{code}", base_url="http://training.example.org")
    assert f"http://training.example.org/verify/{code}" in page.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"BASE_URL": BASE}], indirect=True)
def test_a_forged_host_does_not_reach_a_mailed_reset_link(app, make_user, mailbox):
    """Host-header poisoning: asking for a reset of someone's password through
    a forged Host must not mail them a link to the attacker's server."""
    victim = make_user()
    response = app.test_client().post(
        "/forgot", data={"email": victim.email}, base_url=f"http://{FORGED}"
    )
    assert response.status_code in (200, 302)
    [mail] = mailbox.wait_for(1)
    text = mailbox.text(mail)
    assert f"{BASE}/reset/" in text
    assert FORGED not in text


@pytest.mark.parametrize("app_config", [{"BASE_URL": BASE}], indirect=True)
def test_absolute_links_outside_a_request_use_the_base_url(app):
    with app.app_context():
        assert absolute_url("learn.verify", code="X") == f"{BASE}/verify/X"


def test_without_a_base_url_links_outside_a_request_are_refused(app):
    with app.app_context(), pytest.raises(RuntimeError, match="KAPTRAIN_BASE_URL"):
        absolute_url("learn.verify", code="X")


@pytest.fixture
def env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    import os

    for name in list(os.environ):
        if name.startswith("KAPTRAIN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KAPTRAIN_ENV", "production")
    monkeypatch.setenv("KAPTRAIN_SECRET_KEY", "s" * 40)
    return monkeypatch


def test_production_requires_a_base_url_or_trusted_hosts(env, tmp_path):
    with pytest.raises(ConfigError, match="KAPTRAIN_BASE_URL .* or KAPTRAIN_TRUSTED"):
        load_config(tmp_path / "i")
    with pytest.raises(SystemExit) as exit_info:
        create_app({"MODULES_DIR": tmp_path})
    assert "KAPTRAIN_BASE_URL" in str(exit_info.value.code)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("KAPTRAIN_BASE_URL", "https://training.example.org/", ("BASE_URL", BASE)),
        (
            "KAPTRAIN_TRUSTED_HOSTS",
            "Training.example.org, www.training.example.org",
            ("TRUSTED_HOSTS", ["training.example.org", "www.training.example.org"]),
        ),
    ],
)
def test_either_setting_satisfies_production(env, tmp_path, variable, value, expected):
    env.setenv(variable, value)
    key, wanted = expected
    assert load_config(tmp_path / "i")[key] == wanted


@pytest.mark.parametrize(
    "value",
    ["training.example.org", "ftp://x.org", "https://x.org/sub", "https://x.org/?a=1"],
)
def test_a_malformed_base_url_is_named(env, tmp_path, value):
    env.setenv("KAPTRAIN_BASE_URL", value)
    with pytest.raises(ConfigError, match="KAPTRAIN_BASE_URL must be"):
        load_config(tmp_path / "i")
