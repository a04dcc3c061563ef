"""xAPI statements: every kind is valid xAPI 1.0.3 (ralph's models), written in
the learner write's transaction, private by default, with deterministic ids."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from kaptrain.extensions import db
from kaptrain.platform.config import ConfigError, load_config
from tests.support.learn import MODULE_ID
from tests.support.xapi import (
    BASE_URL,
    MARKER,
    journey,
    outbox,
    ralph_statement_model,
    xapi_config,
)

pytestmark = pytest.mark.content("complete-module")

ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return xapi_config()


@pytest.fixture
def travelled(app: Flask, client: Any, trainee: Any) -> list[Any]:
    journey(app, client, trainee)
    return outbox(app)


def _verbs(rows: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        verb = row.statement["verb"]["id"].rsplit("/", 1)[1]
        counts[verb] = counts.get(verb, 0) + 1
    return counts


def test_every_statement_is_valid_xapi(travelled: list[Any]) -> None:
    statement_model = ralph_statement_model()
    for row in travelled:
        model = statement_model(**row.statement)
        assert str(model.id) == row.id
        assert row.statement["version"] == "1.0.3"


def test_the_journey_gives_each_kind_of_statement(travelled: list[Any]) -> None:
    kinds = {
        (row.kind, row.statement["verb"]["id"].rsplit("/", 1)[1]) for row in travelled
    }
    assert {
        ("lesson_completed", "completed"),
        ("quiz_started", "attempted"),
        ("quiz_submitted", "answered"),
        ("quiz_submitted", "completed"),  # the pre-test: a score, no pass mark
        ("quiz_submitted", "passed"),
        ("case_step", "answered"),
        ("case_step", "progressed"),
        ("case_step", "completed"),
        ("reflection_shared", "shared"),
        ("evaluation_submitted", "responded"),
        ("evaluation_submitted", "earned"),
        ("evaluation_submitted", "completed"),
    } <= kinds
    verbs = _verbs(travelled)
    assert verbs["earned"] == 1 and verbs["shared"] == 2
    started = [
        r
        for r in travelled
        if r.statement["object"]["id"] == f"{BASE_URL}/modules/{MODULE_ID}"
        and r.statement["verb"]["id"] == ADL + "attempted"
    ]
    assert len(started) == 1, "module started is sent once"


def test_statement_details(travelled: list[Any]) -> None:
    by_verb = {
        row.statement["verb"]["id"].rsplit("/", 1)[1]: row.statement
        for row in travelled
    }
    passed = by_verb["passed"]
    assert passed["result"]["success"] is True
    assert passed["result"]["score"]["scaled"] == 1.0
    assert (
        passed["context"]["contextActivities"]["parent"][0]["id"]
        == f"{BASE_URL}/modules/{MODULE_ID}"
    )
    assert (
        passed["context"]["contextActivities"]["grouping"][0]["id"]
        == f"{BASE_URL}/course"
    )
    ext = passed["context"]["extensions"]
    assert ext[f"{BASE_URL}/xapi/extensions/module-version"]
    assert len(ext[f"{BASE_URL}/xapi/extensions/content-hash"]) >= 8
    answered = [
        r.statement
        for r in travelled
        if r.kind == "case_step" and r.statement["verb"]["id"] == ADL + "answered"
    ]
    assert (
        answered[0]["object"]["definition"]["type"]
        == "http://adlnet.gov/expapi/activities/cmi.interaction"
    )
    assert answered[0]["object"]["definition"]["interactionType"] == "choice"
    assert answered[0]["result"]["response"] == "1"
    assert answered[0]["result"]["extensions"][
        f"{BASE_URL}/xapi/extensions/rating"
    ] in {"best", "ok", "avoid"}
    earned = by_verb["earned"]
    hours = earned["result"]["extensions"][f"{BASE_URL}/xapi/extensions/ce-hours"]
    assert hours == 1.0
    assert earned["object"]["definition"]["moreInfo"].startswith(f"{BASE_URL}/verify/")
    ending = [
        r.statement
        for r in travelled
        if r.kind == "case_step" and r.statement["verb"]["id"] == ADL + "completed"
    ]
    assert ending[0]["result"]["extensions"][f"{BASE_URL}/xapi/extensions/ending"]
    ratings = by_verb["responded"]["result"]["extensions"][
        f"{BASE_URL}/xapi/extensions/ratings"
    ]
    assert ratings == {"objectives-met": 5, "relevant": 4}


def test_no_typed_text_and_no_email_in_any_statement(
    travelled: list[Any], trainee: Any
) -> None:
    import json

    text = json.dumps([row.statement for row in travelled])
    assert MARKER not in text
    assert trainee.email not in text
    assert trainee.name not in text
    actors = {json.dumps(row.statement["actor"], sort_keys=True) for row in travelled}
    assert len(actors) == 1
    actor = travelled[0].statement["actor"]
    assert actor["account"]["homePage"] == BASE_URL
    assert str(trainee.id) != actor["account"]["name"]


def test_ids_are_deterministic_and_a_backfill_adds_nothing(
    app: Flask, travelled: list[Any], runner: Any
) -> None:
    from kaptrain.models import XapiStatement

    result = runner.invoke(args=["xapi", "backfill"])
    assert result.exit_code == 0, result.output
    assert "Queued 0 new statement(s)" in result.output
    with app.app_context():
        db.session.execute(XapiStatement.__table__.delete())
        db.session.commit()
    later = runner.invoke(args=["xapi", "backfill", "--since", "2999-01-01"])
    assert later.output.startswith("Queued 0 new"), later.output
    result = runner.invoke(args=["xapi", "backfill", "--since", "2000-01-01"])
    assert result.exit_code == 0, result.output
    assert f"Queued {len(travelled)} new statement(s) for 1 user(s)" in result.output
    again = outbox(app)
    assert {r.id for r in again} == {r.id for r in travelled}
    assert runner.invoke(args=["xapi", "backfill"]).output.startswith("Queued 0 new")
    result = runner.invoke(args=["xapi", "backfill", "--since", "yesterday"])
    assert result.exit_code == 2 and "does not match the format" in result.output


def test_a_write_costs_one_extra_insert(app: Flask, client: Any, trainee: Any) -> None:
    inserts: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO XAPI_STATEMENTS"):
            inserts.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.post(f"/modules/{MODULE_ID}/defining-racial-trauma/complete")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(inserts) == 1
    assert len(outbox(app)) == 2  # module started + lesson completed


@pytest.mark.parametrize("app_config", [xapi_config(XAPI_ACTOR="mbox")])
def test_mbox_actor_when_asked(travelled: list[Any], trainee: Any) -> None:
    assert {r.statement["actor"]["mbox"] for r in travelled} == {
        f"mailto:{trainee.email}"
    }


@pytest.mark.parametrize("app_config", [{}])
def test_without_an_endpoint_nothing_is_queued(
    travelled: list[Any], runner: Any
) -> None:
    assert travelled == []
    result = runner.invoke(args=["xapi", "send", "--once"])
    assert result.exit_code == 2 and "KAPTRAIN_XAPI_ENDPOINT" in result.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KAPTRAIN_XAPI_ENDPOINT": "ftp://lrs/"}, "KAPTRAIN_XAPI_ENDPOINT must be"),
        (
            {"KAPTRAIN_XAPI_ENDPOINT": "http://lrs.example.org/xAPI/"},
            "needs KAPTRAIN_BASE_URL",
        ),
        ({"KAPTRAIN_XAPI_USERNAME": "u"}, "both KAPTRAIN_XAPI_USERNAME"),
        ({"KAPTRAIN_XAPI_ACTOR": "email"}, "KAPTRAIN_XAPI_ACTOR must be"),
        ({"KAPTRAIN_XAPI_BATCH": "0"}, "KAPTRAIN_XAPI_BATCH must be between"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: Any, tmp_path: Any, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, {"SECRET_KEY": "x" * 40})


def test_good_settings_are_read(monkeypatch: Any, tmp_path: Any) -> None:
    monkeypatch.setenv("KAPTRAIN_XAPI_ENDPOINT", "http://127.0.0.1:8100/xAPI")
    monkeypatch.setenv("KAPTRAIN_BASE_URL", "https://t.example.org")
    config = load_config(tmp_path, {"SECRET_KEY": "x" * 40})
    assert config["XAPI_ENDPOINT"] == "http://127.0.0.1:8100/xAPI/"
    assert config["XAPI_ACTOR"] == "account"


def test_deleting_an_account_deletes_its_queued_statements(
    app: Flask, travelled: list[Any], trainee: Any
) -> None:
    from sqlalchemy import delete

    from kaptrain.models import User

    assert travelled
    with app.app_context():
        db.session.execute(delete(User).where(User.id == trainee.id))
        db.session.commit()
    assert outbox(app) == []


def test_statements_commit_and_roll_back_with_the_record(
    app: Flask, make_user: Any
) -> None:
    from kaptrain.kinds.lesson.service import complete_lesson
    from kaptrain.kinds.records import mark_item_done
    from kaptrain.learning.course import current_catalog
    from kaptrain.learning.unit_of_work import learner_write
    from kaptrain.models import ItemProgress, User

    uid = make_user().id
    with app.test_request_context():
        user = db.session.get(User, uid)
        module = current_catalog().get(MODULE_ID)
        lesson = module.lessons[0]
        with pytest.raises(RuntimeError):
            with learner_write(user, module, lesson.id, kind="lesson_completed"):
                mark_item_done(user, module, lesson.id)
                raise RuntimeError("the write fails")
        db.session.rollback()
        assert db.session.query(ItemProgress).count() == 0
    assert outbox(app) == []
    with app.test_request_context():
        complete_lesson(db.session.get(User, uid), module, lesson)
    kinds = sorted(row.statement["verb"]["id"].rsplit("/", 1)[1] for row in outbox(app))
    assert kinds == ["attempted", "completed"]
