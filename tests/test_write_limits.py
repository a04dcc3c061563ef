"""Per-user journal write cap and the /verify rate limit (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db, limiter
from kaptrain.models import AuditEvent, JournalEntry
from kaptrain.platform.throttle import JOURNAL_WRITES
from kaptrain.web.learn.certificate_views import VERIFY_LIMIT
from tests.support.learn import MODULE_ID, fixture_config
from tests.support.settings import PASSWORD

PER_WINDOW = int(JOURNAL_WRITES.split()[0])


@pytest.fixture
def app_config(tmp_path: Any) -> dict[str, Any]:
    return {
        **fixture_config(tmp_path),
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture(autouse=True)
def _fresh_counters(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        limiter.reset()


def _entries(app, user) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.user_id == user.id)
        )


def _write(client, body: str):  # type: ignore[no-untyped-def]
    return client.post("/journal", data={"module_id": MODULE_ID, "body": body})


def _signed_in(app, user):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def test_journal_writes_are_capped_per_user_and_the_text_is_kept(app, make_user):
    writer, other = make_user(), make_user()
    client = _signed_in(app, writer)
    for n in range(PER_WINDOW):
        assert _write(client, f"entry {n}").status_code == 302, n
    response = _write(client, "A thought I do not want to lose <3")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "saving is paused for about 10 minutes" in page
    assert "A thought I do not want to lose &lt;3</textarea>" in page
    assert _entries(app, writer) == PER_WINDOW
    # The cap is per person: another trainee writes on.
    assert _write(_signed_in(app, other), "mine").status_code == 302
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "rate_limited")
        ).all()
    assert event.actor_id == writer.id and event.detail.endswith("POST /journal")


def test_edits_count_towards_the_journal_cap(app, make_user):
    writer = make_user()
    client = _signed_in(app, writer)
    assert _write(client, "first").status_code == 302
    with app.app_context():
        entry_id = db.session.scalar(select(JournalEntry.id))
    for n in range(PER_WINDOW - 1):
        response = client.post(f"/journal/{entry_id}/edit", data={"body": f"v{n}"})
        assert response.status_code == 302
    response = client.post(f"/journal/{entry_id}/edit", data={"body": "keep me"})
    assert response.status_code == 429
    assert "keep me</textarea>" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(JournalEntry, entry_id).body == f"v{PER_WINDOW - 2}"


def test_invalid_journal_forms_do_not_use_up_the_cap(app, make_user):
    client = _signed_in(app, make_user())
    for _ in range(PER_WINDOW + 5):
        assert _write(client, "").status_code == 200  # "enter some text"
    assert _write(client, "now a real one").status_code == 302


def test_verify_is_rate_limited_per_address(app):
    allowed = int(VERIFY_LIMIT.split()[0])
    client = app.test_client()
    for _ in range(allowed):
        assert client.get("/verify/KT-AAAA-BBBB-CCCC").status_code == 404
    limited = client.get("/verify/KT-AAAA-BBBB-DDDD")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    other = app.test_client()
    response = other.get(
        "/verify/KT-AAAA-BBBB-CCCC", environ_base={"REMOTE_ADDR": "203.0.113.4"}
    )
    assert response.status_code == 404
