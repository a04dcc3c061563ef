"""Helpers for the xAPI tests: settings, a trainee's whole journey through the
real pages, the outbox's rows, and the vignette path as the database has it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.learn import (
    EVALUATION_URL,
    MODULE_ID,
    QUIZ_URL,
    VIGNETTE_URL,
    attempt_form,
    finish_lessons,
    latest_attempt,
    start_post_test,
    submit_attempt,
)

BASE_URL = "https://training.example.org"
#: Typed into every free-text field of the journey; never in any statement.
MARKER = "PRIVATE-MARKER-7c1e"


def xapi_config(
    endpoint: str = "http://127.0.0.1:9/xAPI/", **extra: Any
) -> dict[str, Any]:
    """App settings with xAPI on (the endpoint need not answer to queue)."""
    return {
        "BASE_URL": BASE_URL,
        "XAPI_ENDPOINT": endpoint,
        "XAPI_USERNAME": "kaptrain",
        "XAPI_PASSWORD": "lrs-password-123",
        "XAPI_ACTOR": "account",
        "XAPI_BATCH": 50,
        "XAPI_RETRY_SECONDS": 1,
        "XAPI_TIMEOUT": 5,
        **extra,
    }


def play_vignette(client: Any) -> str:
    """One run: choice, choice, then a reflection (with MARKER) to the ending."""
    response = client.post(f"{VIGNETTE_URL}/runs")
    run_id = response.headers["Location"].split("run=")[1]
    url = f"{VIGNETTE_URL}/runs/{run_id}"
    client.post(url, data={"step": "0", "choice": "1"})
    client.post(url, data={"step": "1", "choice": "1"})
    client.post(url, data={"step": "2", "reflection": f"My reflection {MARKER}"})
    return run_id


def journey(app: Any, client: Any, user: Any) -> None:
    """Everything a trainee does that gives a statement, through the pages."""
    response = client.post(f"{QUIZ_URL}/start", data={"kind": "pre"})
    assert response.status_code == 302
    pre = latest_attempt(app, user.id, "pre")
    client.post(
        f"{QUIZ_URL}/attempts/{pre.id}", data=attempt_form(app, pre.id, correct=False)
    )
    finish_lessons(client)
    play_vignette(client)
    entry_id = _journal_entry_id(app, user.id)
    client.post(f"/journal/{entry_id}/share", data={"shared": "1"})
    response = client.post(
        "/journal",
        data={"module_id": MODULE_ID, "body": f"Free note {MARKER}", "shared": "y"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    attempt = start_post_test(client, app, user)
    submit_attempt(client, app, attempt, correct=True)
    response = client.post(
        f"{EVALUATION_URL}/evaluation",
        data={
            "rating-objectives-met": "5",
            "rating-relevant": "4",
            "comment-improve": f"Comment {MARKER}",
        },
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]


def _journal_entry_id(app: Any, user_id: int) -> int:
    from kaptrain.extensions import db
    from kaptrain.models import JournalEntry

    with app.app_context():
        return db.session.execute(
            select(JournalEntry.id).where(JournalEntry.user_id == user_id)
        ).scalar_one()


def outbox(app: Any) -> list[Any]:
    """Every outbox row, detached, oldest first."""
    from kaptrain.extensions import db
    from kaptrain.models import XapiStatement

    with app.app_context():
        rows = list(
            db.session.execute(
                select(XapiStatement).order_by(
                    XapiStatement.created_at, XapiStatement.id
                )
            ).scalars()
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def db_paths(app: Any) -> dict[int, list[tuple[str, str | None, str]]]:
    """Each vignette run's path in the database: (node, choice, target) per step."""
    from kaptrain.extensions import db
    from kaptrain.models import VignetteRun

    with app.app_context():
        return {
            run.id: [(s.node_id, s.choice_key, s.target) for s in run.steps]
            for run in db.session.execute(select(VignetteRun)).scalars()
        }


def statement_paths(
    statements: list[dict[str, Any]],
) -> dict[int, list[tuple[str, str | None, str]]]:
    """The same paths rebuilt from statements (``answered``/``progressed``)."""
    ext = f"{BASE_URL}/xapi/extensions/"
    steps: dict[int, list[tuple[int, str, str | None, str]]] = {}
    for s in statements:
        values = s.get("result", {}).get("extensions", {})
        if f"{ext}node" not in values or s["verb"]["id"].endswith("completed"):
            continue
        run = int(values[f"{ext}run"])
        steps.setdefault(run, []).append(
            (
                int(values[f"{ext}step"]),
                values[f"{ext}node"],
                values.get(f"{ext}choice"),
                values[f"{ext}target"],
            )
        )
    return {run: [row[1:] for row in sorted(rows)] for run, rows in steps.items()}


def ralph_command() -> Path:
    """The ``ralph`` executable beside this Python; skips (fails in CI) without it."""
    candidate = Path(sys.executable).parent / "ralph"
    found = candidate if candidate.exists() else shutil.which("ralph")
    try:
        import ralph  # noqa: F401
    except ImportError:
        found = None
    if not found:
        reason = (
            "ralph-malph[cli,lrs] is not installed: pip install -e '.[test]' "
            "installs the LRS these tests run against"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return Path(found)


def ralph_statement_model() -> Any:
    """ralph's ``BaseXapiStatement``; skips (fails in CI) without ralph."""
    try:
        from ralph.models.xapi.base.statements import BaseXapiStatement
    except ImportError:
        reason = "ralph-malph is not installed: pip install -e '.[test]'"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return BaseXapiStatement
