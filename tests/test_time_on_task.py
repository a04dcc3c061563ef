"""Time on task (issue 16): first opens from the server clock, and completions
refused until KAPTRAIN_MIN_TIME_SHARE of the estimate has passed."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.learning.time_on_task import seconds_left, wait_words
from kaptrain.models import ItemOpen, ItemProgress, JournalEntry, VignetteRun
from kaptrain.platform.config import ConfigError, load_config
from tests.support.learn import MODULE_ID, VIGNETTE_URL

pytestmark = pytest.mark.content("complete-module")

LESSON_ID = "defining-racial-trauma"  # estimated_minutes: 20
LESSON = f"/modules/{MODULE_ID}/{LESSON_ID}"


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"MIN_TIME_SHARE": 0.25}


def _opens(app: Any) -> list[tuple[str, str, dt.datetime]]:
    with app.app_context():
        rows = db.session.execute(
            select(ItemOpen.item_id, ItemOpen.part, ItemOpen.opened_at)
        ).all()
        return [tuple(r) for r in rows]


def _back_date(app: Any, minutes: float) -> None:
    """Move every first open back by ``minutes`` (the trainee read that long)."""
    with app.app_context():
        for row in db.session.execute(select(ItemOpen)).scalars():
            row.opened_at = row.opened_at - dt.timedelta(minutes=minutes)
        db.session.commit()


def _lesson_done(app: Any) -> bool:
    with app.app_context():
        status = db.session.execute(
            select(ItemProgress.status).where(ItemProgress.item_id == LESSON_ID)
        ).scalar_one_or_none()
        return status == "done"


def test_opening_a_lesson_records_one_first_open(app: Any, client: Any, trainee: Any):
    client.get(f"{LESSON}?note=seen")
    [(item, part, first)] = _opens(app)
    assert (item, part) == (LESSON_ID, "")
    client.get(f"{LESSON}?note=seen")
    assert _opens(app) == [(LESSON_ID, "", first)]  # a refresh writes nothing


def test_too_fast_completion_is_refused_with_the_time_left(
    app: Any, client: Any, trainee: Any
) -> None:
    client.get(f"{LESSON}?note=seen")
    response = client.post(f"{LESSON}/complete", follow_redirects=True)
    page = response.get_data(as_text=True)
    # 0.25 x 20 minutes = 5 minutes from the first open.
    assert "you can continue in about 5 minutes" in page
    assert "Mark as complete" in page  # the lesson is shown again, not done
    assert not _lesson_done(app)


def test_completion_is_allowed_once_enough_time_has_passed(
    app: Any, client: Any, trainee: Any
) -> None:
    client.get(f"{LESSON}?note=seen")
    _back_date(app, 4)
    page = client.post(f"{LESSON}/complete", follow_redirects=True).get_data(
        as_text=True
    )
    assert "you can continue in 1 minute" in page or "in 60 seconds" in page
    assert not _lesson_done(app)
    _back_date(app, 1.1)
    response = client.post(f"{LESSON}/complete")
    assert response.status_code == 302
    assert _lesson_done(app)


def test_completion_without_opening_the_lesson_waits_the_whole_share(
    app: Any, client: Any, trainee: Any
) -> None:
    page = client.post(f"{LESSON}/complete", follow_redirects=True).get_data(
        as_text=True
    )
    assert "about 5 minutes" in page
    assert not _lesson_done(app)


@pytest.mark.parametrize("app_config", [{"MIN_TIME_SHARE": 0}])
def test_share_zero_turns_the_rule_off(app: Any, client: Any, trainee: Any) -> None:
    client.post(f"{LESSON}/complete")
    assert _lesson_done(app)


def _start_run(app: Any, client: Any) -> tuple[str, str]:
    """Start a run; its move URL and its page URL."""
    response = client.post(f"{VIGNETTE_URL}/runs")
    run_id = response.headers["Location"].split("run=")[1]
    page = f"{VIGNETTE_URL}?run={run_id}"
    client.get(page)  # the first scene is served
    return f"{VIGNETTE_URL}/runs/{run_id}", page


def _steps(app: Any) -> int:
    with app.app_context():
        return db.session.execute(select(VignetteRun.step_count)).scalar_one()


def test_vignette_steps_are_timed_each(app: Any, client: Any, trainee: Any) -> None:
    run, page_url = _start_run(app, client)
    run_id = page_url.split("run=")[1]
    assert [(i, p) for i, p, _ in _opens(app)] == [
        ("first-session", f"run{run_id}-step0")
    ]
    # 10 minutes over 4 scenes and reflections: 0.25 x 2.5 min = 38 s a step.
    page = client.post(run, data={"step": "0", "choice": "1"}, follow_redirects=True)
    assert "you can continue in 38 seconds" in page.get_data(as_text=True)
    assert _steps(app) == 0
    _back_date(app, 1)
    client.post(run, data={"step": "0", "choice": "1"})
    assert _steps(app) == 1
    client.get(page_url)  # the next scene: a new first open
    assert ("first-session", f"run{run_id}-step1") in [
        (i, p) for i, p, _ in _opens(app)
    ]
    client.post(run, data={"step": "1", "choice": "1"})
    assert _steps(app) == 1  # the second step waits its own share


def test_a_too_soon_reflection_keeps_its_text(
    app: Any, client: Any, trainee: Any
) -> None:
    run, page_url = _start_run(app, client)
    _back_date(app, 1)
    client.post(run, data={"step": "0", "choice": "1"})  # -> agenda
    client.get(page_url)
    _back_date(app, 1)
    client.post(run, data={"step": "1", "choice": "1"})  # -> noticing
    client.get(page_url)
    text = "She named the incident twice; I felt pulled to fix it."
    response = client.post(run, data={"step": "2", "reflection": text})
    page = response.get_data(as_text=True)
    assert "you can continue in" in page
    assert text.replace("'", "&#39;") in page
    with app.app_context():
        assert db.session.execute(select(JournalEntry)).first() is None
    _back_date(app, 1)
    client.post(run, data={"step": "2", "reflection": text})
    with app.app_context():
        assert db.session.execute(select(JournalEntry.body)).scalar_one() == text


def test_a_stale_step_is_not_timed(app: Any, client: Any, trainee: Any) -> None:
    run, _page = _start_run(app, client)
    page = client.post(
        run, data={"step": "7", "choice": "1"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "you can continue in" not in page


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("KAPTRAIN_MIN_TIME_SHARE", "1.5", "must be a number from 0 to 1"),
        ("KAPTRAIN_MIN_TIME_SHARE", "-0.1", "must be a number from 0 to 1"),
        ("KAPTRAIN_MIN_TIME_SHARE", "quarter", "must be a number from 0 to 1"),
        ("KAPTRAIN_MIN_TIME_SHARE", "nan", "must be a number from 0 to 1"),
        ("KAPTRAIN_GRIEVANCE_URL", "ftp://example.org/x", "full address"),
        ("KAPTRAIN_GRIEVANCE_URL", "example.org/grievances", "full address"),
    ],
)
def test_bad_ce_settings_name_the_variable(
    monkeypatch: Any, tmp_path: Any, variable: str, value: str, says: str
) -> None:
    _clean_env(monkeypatch)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path, {"SECRET_KEY": "k" * 40})
    assert variable in str(error.value) and says in str(error.value)


def test_ce_settings_from_the_environment(monkeypatch: Any, tmp_path: Any) -> None:
    _clean_env(monkeypatch)
    config = load_config(tmp_path, {"SECRET_KEY": "k" * 40})
    assert config["MIN_TIME_SHARE"] == 0.25 and config["GRIEVANCE_URL"] == ""
    monkeypatch.setenv("KAPTRAIN_MIN_TIME_SHARE", "0")
    monkeypatch.setenv("KAPTRAIN_GRIEVANCE_URL", "https://example.org/ce/grievances")
    monkeypatch.setenv("KAPTRAIN_COMMERCIAL_SUPPORT", "No commercial support.")
    monkeypatch.setenv("KAPTRAIN_COI_POLICY", "Planners disclose all relationships.")
    monkeypatch.setenv("KAPTRAIN_PROVIDER_CONTACT", "ce@example.org")
    config = load_config(tmp_path, {"SECRET_KEY": "k" * 40})
    assert config["MIN_TIME_SHARE"] == 0
    assert config["GRIEVANCE_URL"] == "https://example.org/ce/grievances"
    assert config["COMMERCIAL_SUPPORT"] == "No commercial support."
    assert config["COI_POLICY"] == "Planners disclose all relationships."
    assert config["PROVIDER_CONTACT"] == "ce@example.org"


def _clean_env(monkeypatch: Any) -> None:
    for name in list(os.environ):
        if name.startswith("KAPTRAIN_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (59, "59 seconds"),
        (60, "1 minute"),
        (61, "about 2 minutes"),
        (300, "about 5 minutes"),
    ],
)
def test_wait_words(seconds: int, words: str) -> None:
    assert wait_words(seconds) == words


def test_seconds_left_counts_from_the_first_open() -> None:
    opened = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
    later = opened + dt.timedelta(minutes=3)
    assert seconds_left(opened, 20, 0.25, later) == 120
    assert seconds_left(opened, 20, 0.25, later + dt.timedelta(minutes=5)) == 0
    assert seconds_left(None, 20, 0.25, later) == 300
    assert seconds_left(opened, 20, 0, opened) == 0


def test_two_racing_first_opens_keep_one_row(
    app: Any, trainee: Any, monkeypatch: Any
) -> None:
    """Both requests saw no open (the SELECT ran before either insert): the
    unique key and ON CONFLICT DO NOTHING keep one row and the first time."""
    from kaptrain.learning import time_on_task
    from kaptrain.learning.course import current_catalog

    real = time_on_task.first_open
    stale = {"calls": 0}

    def first_open_racing(*args: Any) -> Any:
        stale["calls"] += 1
        return None if stale["calls"] % 2 == 1 else real(*args)

    monkeypatch.setattr(time_on_task, "first_open", first_open_racing)
    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        first = time_on_task.record_open(trainee.id, module, LESSON_ID)
        second = time_on_task.record_open(trainee.id, module, LESSON_ID)
    assert first == second
    assert len(_opens(app)) == 1
