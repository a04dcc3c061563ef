"""Against a real ralph LRS on loopback: a trainee's lesson, quiz and vignette
arrive, the vignette path read back from the LRS equals the database's, and an
LRS that is down while the trainee works gets everything once it is back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from kaptrain.extensions import db
from kaptrain.models import XapiStatement, utcnow
from tests.support.learn import finish_lessons
from tests.support.ralph_lrs import RalphLRS
from tests.support.xapi import (
    MARKER,
    db_paths,
    journey,
    outbox,
    statement_paths,
    xapi_config,
)

pytestmark = [pytest.mark.content("complete-module"), pytest.mark.server]


@pytest.fixture(scope="module")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RalphLRS]:
    """One LRS (with its credentials) for the file; tests start and stop it."""
    lrs = RalphLRS(tmp_path_factory.mktemp("ralph"))
    yield lrs
    lrs.stop()


@pytest.fixture(autouse=True)
def _stopped_after(ralph: RalphLRS) -> Iterator[None]:
    yield
    ralph.stop()


@pytest.fixture
def app_config(ralph: RalphLRS) -> dict[str, Any]:
    return xapi_config(ralph.endpoint, XAPI_BATCH=7)  # several POSTs


def _mine(ralph: RalphLRS, ids: set[str]) -> list[dict[str, Any]]:
    """The LRS's statements that this test sent (the store outlives tests)."""
    return [s for s in ralph.statements() if s["id"] in ids]


def test_the_journey_arrives_and_the_path_matches(
    app: Flask, client: Any, trainee: Any, runner: Any, ralph: RalphLRS
) -> None:
    ralph.start()
    journey(app, client, trainee)
    queued = outbox(app)
    result = runner.invoke(args=["xapi", "send", "--once"])
    assert result.exit_code == 0, result.output
    ids = {row.id for row in queued}
    stored = _mine(ralph, ids)
    assert Counter(s["id"] for s in stored) == Counter(ids)
    assert {row.status for row in outbox(app)} == {"delivered"}
    paths = db_paths(app)
    assert paths and all(len(path) == 3 for path in paths.values())
    assert statement_paths(stored) == paths
    assert MARKER not in str(stored)
    verbs = {s["verb"]["id"].rsplit("/", 1)[1] for s in stored}
    assert {"attempted", "answered", "completed", "passed", "progressed"} <= verbs
    assert {"responded", "shared", "earned"} <= verbs


def test_an_lrs_down_while_the_trainee_works_gets_everything_once(
    app: Flask, client: Any, trainee: Any, runner: Any, ralph: RalphLRS
) -> None:
    ralph.start()
    finish_lessons(client)
    assert runner.invoke(args=["xapi", "send", "--once"]).exit_code == 0
    ralph.stop()
    journey(app, client, trainee)  # nothing the trainee does waits for the LRS
    queued = outbox(app)
    result = runner.invoke(args=["xapi", "send", "--once"])
    assert result.exit_code == 1
    assert {row.status for row in outbox(app)} >= {"pending", "delivered"}
    ralph.start()
    with app.app_context():  # the retry time has come
        db.session.execute(update(XapiStatement).values(next_try_at=utcnow()))
        db.session.commit()
    result = runner.invoke(args=["xapi", "send", "--once"])
    assert result.exit_code == 0, result.output
    # A resend of everything (a sender that died before recording) changes nothing.
    with app.app_context():
        db.session.execute(update(XapiStatement).values(status="pending"))
        db.session.commit()
    assert runner.invoke(args=["xapi", "send", "--once"]).exit_code == 0
    ids = {row.id for row in queued}
    stored = _mine(ralph, ids)
    assert Counter(s["id"] for s in stored) == Counter(ids)
    assert statement_paths(stored) == db_paths(app)
