"""The signed-credential journey in Chromium against gunicorn (issue 16): the demo's
trainee2 opens the certificate and downloads the PDF and the JSON credential; the
verify page says valid; an edited credential pasted into the form is reported as
tampered, naming what changed; an admin revokes the certificate and the verify
page says revoked. Every page at zero axe violations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.live_server import DEMO_PASSWORD, LiveServer, start_live_server

from .support import Auditor, new_page, sign_in

pytestmark = pytest.mark.browser

TRAINEE2 = "trainee2@example.org"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_live_server(tmp_path_factory.mktemp("credentials")) as live:
        yield live


def _download(page: Any, link_name: str, folder: Path) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return target.read_bytes()


def test_certificate_credential_verify_tamper_and_revoke(
    browser: Any, server: LiveServer, audit: Auditor, tmp_path: Path
) -> None:
    out = server.flask("demo").stdout
    found = re.search(r"certificate (KT-[A-Z0-9-]+)", out)
    assert found, out
    code = found.group(1)

    # trainee2 finds the certificate from the progress page.
    page = new_page(browser, server.url)
    sign_in(page, TRAINEE2, DEMO_PASSWORD)
    page.goto("/progress")
    page.get_by_role("link", name=re.compile("^View certificate for")).click()
    heading = page.get_by_role("heading", name="Certificate of completion")
    expect(heading).to_be_visible()
    expect(page.get_by_role("heading", name="Add it to a wallet")).to_be_visible()
    audit.check(page, "certificate with credential", shot=True)
    pdf = _download(page, "Download PDF", tmp_path)
    assert pdf.startswith(b"%PDF") and b"/EmbeddedFile" in pdf
    assert code.encode() in pdf
    credential = json.loads(
        _download(page, "Download the signed credential (JSON)", tmp_path)
    )
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    page.context.close()

    # Anyone: the verify page re-checks the signature.
    public = new_page(browser, server.url)
    public.goto(f"/verify/{code}")
    expect(public.get_by_role("heading", name="Certificate verified")).to_be_visible()
    expect(public.get_by_text("the signature is genuine")).to_be_visible()
    audit.check(public, "verify page (valid)", shot=True)

    # The genuine file, then an edited one, pasted into the form.
    public.get_by_role("link", name="Check the file itself").click()
    audit.check(public, "verify a credential")
    field = public.get_by_label("Paste the credential (JSON)")
    field.fill(json.dumps(credential, indent=2))
    public.get_by_role("button", name="Check the credential").click()
    expect(public.get_by_role("heading", name="Genuine and unchanged")).to_be_visible()
    audit.check(public, "verify a credential (valid)")
    credential["credentialSubject"]["creditsEarned"] = 40
    edited = json.dumps(credential, indent=2)
    public.get_by_label("Paste the credential (JSON)").fill(edited)
    public.get_by_role("button", name="Check the credential").click()
    expect(
        public.get_by_role("heading", name="This credential was tampered with")
    ).to_be_visible()
    expect(public.locator("#result li")).to_have_text(["the CE hours"])
    assert (
        '"creditsEarned": 40'
        in public.get_by_label("Paste the credential (JSON)").input_value()
    )
    audit.check(public, "verify a credential (tampered)", shot=True)
    public.get_by_label("Paste the credential (JSON)").fill("certainly not json")
    public.get_by_role("button", name="Check the credential").click()
    expect(public.get_by_text("This is not JSON")).to_be_visible()
    audit.check(public, "verify a credential (not JSON)")

    # The admin revokes it with a reason.
    admin = new_page(browser, server.url)
    sign_in(admin, "admin@example.org", DEMO_PASSWORD)
    admin.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Certificates"
    ).click()
    audit.check(admin, "admin certificates")
    admin.get_by_role("link", name=code).click()
    admin.get_by_role("button", name="Revoke certificate").click()
    expect(admin.get_by_role("alert")).to_contain_text("Say why")
    audit.check(admin, "admin revoke (no reason)")
    admin.get_by_label("Reason for revoking").fill("Completed on a shared account.")
    admin.get_by_role("button", name="Revoke certificate").click()
    expect(admin.get_by_text(f"Certificate {code} revoked")).to_be_visible()
    audit.check(admin, "admin certificate (revoked)", shot=True)
    admin.context.close()

    public.goto(f"/verify/{code}")
    expect(public.get_by_role("heading", name="Certificate revoked")).to_be_visible()
    expect(public.get_by_text("Completed on a shared account.")).to_be_visible()
    audit.check(public, "verify page (revoked)", shot=True)
    public.context.close()
    audit.finish()
