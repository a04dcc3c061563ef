"""Friendly error pages, and a 500 that rolls the database session back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.models import Cohort

pytestmark = pytest.mark.content(None)


def _one_h1(page: str) -> None:
    assert page.count("<h1") == 1


def test_404_page_is_friendly(client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in page
    assert "Start again from the home page" in page
    assert 'href="/"' in page
    _one_h1(page)


def test_403_page_is_friendly(client, make_user, login):
    login(make_user())
    response = client.get("/admin/users")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "You do not have access to this page" in page
    assert "ask your supervisor or an administrator" in page
    _one_h1(page)


def test_405_page_is_friendly_and_names_the_allowed_method(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "That action is not available here" in response.get_data(as_text=True)
    assert response.headers["Allow"] == "OPTIONS, POST"


def test_errors_answer_json_when_asked(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json == {
        "error": "Page not found",
        "detail": response.json["detail"],
        "status": 404,
    }


def test_unknown_user_id_in_admin_is_404(client, make_user, login):
    login(make_user("admin"))
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users/not-a-number").status_code == 404


def test_500_is_friendly_and_rolls_the_session_back(app, caplog):
    seen: dict[str, Any] = {}

    @app.get("/test-only/fails-mid-write")
    def fails_mid_write():  # type: ignore[no-untyped-def]
        db.session.add(Cohort(name="Half-made", invite_code="HALF-MADE-0000"))
        db.session.flush()
        raise RuntimeError("test-only failure after a write")

    @app.teardown_request
    def look_at_the_session(_error):  # type: ignore[no-untyped-def]
        # Runs after the error handler, before Flask-SQLAlchemy removes the session.
        session = db.session()
        seen["in_transaction"] = session.in_transaction()
        seen["pending"] = list(session.new)
        seen["cohorts"] = [
            o for o in session.identity_map.values() if isinstance(o, Cohort)
        ]

    response = app.test_client().get("/test-only/fails-mid-write")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "Nothing you did caused this" in page
    assert "RuntimeError" not in page and "Traceback" not in page
    _one_h1(page)
    assert seen == {"in_transaction": False, "pending": [], "cohorts": []}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cohort)) == 0
    assert "unhandled error" in caplog.text


def test_500_page_for_a_signed_in_user_still_renders(app, make_user):
    @app.get("/test-only/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("test-only failure")

    from tests.support.settings import PASSWORD

    client = app.test_client()
    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.get("/test-only/boom")
    assert response.status_code == 500
    assert user.name in response.get_data(as_text=True)


def test_too_large_request_gets_a_friendly_413(app, client):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post("/login", data={"email": "x" * size})
    assert response.status_code == 413
    assert "That was too large to accept" in response.get_data(as_text=True)


def test_retry_after_never_exceeds_the_window_of_the_limit_hit(app, monkeypatch):
    """reset_at is a whole-second timestamp; rounding up must not overshoot."""
    import time
    from types import SimpleNamespace

    from limits import parse

    from kaptrain.platform import errors

    now = 1_000_000.25
    monkeypatch.setattr(time, "time", lambda: now)
    hit = SimpleNamespace(limit=parse("10 per 5 minutes"), reset_at=int(now) + 301)
    monkeypatch.setattr(
        errors.limiter.__class__, "current_limit", property(lambda _: hit)
    )
    with app.test_request_context():
        assert errors._retry_after() == 300
        hit.reset_at = int(now) + 120
        assert errors._retry_after() == 120
