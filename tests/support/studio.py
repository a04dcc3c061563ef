"""Helpers for the studio's tests: a published module in the store, drafts and
the editor's forms."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support.settings import CONTENT_FIXTURES

MODULE = "complete-module"
LESSON = "01-defining-racial-trauma.md"


def publish_fixture(app: Flask, name: str = MODULE) -> None:
    """Import tests/content/<name> as the module's first published revision."""
    from kaptrain.authoring.transfer import import_folder

    with app.app_context():
        report = import_folder(CONTENT_FIXTURES / name, message="fixture")
        assert report.ok, report.lines()


def lock_version(page: str) -> str:
    """The draft's lock version from an editor page."""
    match = re.search(r'name="lock_version" value="(\d+)"', page)
    assert match, "no lock_version on the page"
    return match.group(1)


def start(client: FlaskClient, module_id: str = MODULE) -> int:
    """Start a draft of a published module; returns its id."""
    response = client.post(f"/studio/modules/{module_id}/drafts")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def editor(client: FlaskClient, draft_id: int, path: str = "module.md") -> str:
    response = client.get(f"/studio/drafts/{draft_id}?file={path}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def save(client: FlaskClient, draft_id: int, path: str, text: str, **extra: Any) -> Any:
    """Post the editor's save form (with the current lock version)."""
    version = extra.pop("lock_version", None) or lock_version(
        editor(client, draft_id, path)
    )
    return client.post(
        f"/studio/drafts/{draft_id}/save",
        data={"path": path, "text": text, "lock_version": version, **extra},
    )


def draft_text(app: Flask, draft_id: int, path: str) -> str:
    """A draft file's stored text."""
    from kaptrain.authoring.drafts import draft_files, get_draft

    with app.app_context():
        return draft_files(get_draft(draft_id))[path].decode()


def signed_in(app: Flask, user: Any) -> FlaskClient:
    """A new client signed in as ``user`` through the real form (and code)."""
    from kaptrain.web.auth.devices import device_cookie
    from tests.support.mfa import needs_code, pass_code
    from tests.support.settings import PASSWORD

    client = app.test_client()
    with app.app_context():
        name, value = device_cookie(user.email)
    client.set_cookie(name, value, path="/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    if needs_code(response):
        response = pass_code(client, user.totp_secret, response.headers["Location"])
    assert response.status_code == 302, "login failed"
    return client
