"""Branching cases: scenes, feedback, reflections, endings, resume and re-run."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import JOURNAL_MAX, ItemProgress, JournalEntry, VignetteRun
from tests.support.learn import MODULE_ID, VIGNETTE_URL

pytestmark = pytest.mark.content("complete-module")


def _start(client: Any) -> str:
    response = client.post(f"{VIGNETTE_URL}/runs")
    run_id = response.headers["Location"].split("run=")[1]
    return f"{VIGNETTE_URL}/runs/{run_id}"


def _runs(app: Any) -> list[VignetteRun]:
    with app.app_context():
        runs = list(
            db.session.execute(select(VignetteRun).order_by(VignetteRun.id)).scalars()
        )
        for run in runs:
            _ = run.steps
            db.session.expunge(run)
        return runs


def test_intro_shows_the_content_note_and_a_start_button(
    client: Any, trainee: Any
) -> None:
    page = client.get(VIGNETTE_URL).get_data(as_text=True)
    assert "Describes a racist incident at work." in page
    assert "Fictional composite written for training" in page
    assert "Start the case</button>" in page
    assert 'href="/support"' in page


def test_scene_choices_are_post_buttons(client: Any, trainee: Any) -> None:
    _start(client)
    page = client.get(VIGNETTE_URL).get_data(as_text=True)
    assert "I don&#39;t know why I&#39;m here" in page or "know why" in page
    assert page.count('name="choice"') == 3
    assert 'method="post"' in page
    assert "You give Dana control" not in page  # feedback only after choosing


def test_feedback_and_rating_show_before_the_next_scene(
    client: Any, trainee: Any
) -> None:
    url = _start(client)
    response = client.post(url, data={"step": "0", "choice": "3"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A form before a relationship can feel like the institution" in page
    assert "Not recommended" in page
    assert "Dana answers briefly" not in page
    assert ">Continue</a>" in page
    following = client.get(VIGNETTE_URL).get_data(as_text=True)
    assert "Dana answers briefly and looks at the clock." in following


@pytest.mark.parametrize(
    ("choice", "word"),
    [("1", "Best choice"), ("2", "Acceptable"), ("3", "Not recommended")],
)
def test_ratings_in_words(client: Any, trainee: Any, choice: str, word: str) -> None:
    url = _start(client)
    response = client.post(url, data={"step": "0", "choice": choice})
    assert word in client.get(response.headers["Location"]).get_data(as_text=True)


def test_path_is_recorded_in_order_with_ratings(
    app: Any, client: Any, trainee: Any
) -> None:
    url = _start(client)
    client.post(url, data={"step": "0", "choice": "3"})  # -> checklist
    client.post(url, data={"step": "1", "go": "1"})  # -> arrival
    client.post(url, data={"step": "2", "choice": "2"})  # -> agenda
    client.post(url, data={"step": "3", "choice": "2"})  # -> early-close (ending)
    [run] = _runs(app)
    assert [
        (s.seq, s.node_id, s.choice_key, s.rating, s.target) for s in run.steps
    ] == [
        (1, "arrival", "3", "avoid", "checklist"),
        (2, "checklist", None, None, "arrival"),
        (3, "arrival", "2", "ok", "agenda"),
        (4, "agenda", "2", "avoid", "early-close"),
    ]
    assert run.finished_at is not None
    assert run.ending_id == "early-close"


def test_double_click_records_one_step(app: Any, client: Any, trainee: Any) -> None:
    url = _start(client)
    client.post(url, data={"step": "0", "choice": "1"})
    stale = client.post(url, data={"step": "0", "choice": "3"})
    assert stale.status_code == 303
    [run] = _runs(app)
    assert [s.choice_key for s in run.steps] == ["1"]
    assert run.current_node == "agenda"


@pytest.mark.parametrize("step", ["", "abc", "-1", "99"])
def test_bad_step_values_change_nothing(
    app: Any, client: Any, trainee: Any, step: str
) -> None:
    url = _start(client)
    assert client.post(url, data={"step": step, "choice": "1"}).status_code == 303
    assert _runs(app)[0].steps == []


def test_unknown_choice_changes_nothing(app: Any, client: Any, trainee: Any) -> None:
    url = _start(client)
    client.post(url, data={"step": "0", "choice": "9"})
    assert _runs(app)[0].step_count == 0


def test_unfinished_run_resumes_where_it_stopped(
    app: Any, client: Any, trainee: Any
) -> None:
    url = _start(client)
    client.post(url, data={"step": "0", "choice": "1"})
    page = client.get(VIGNETTE_URL).get_data(as_text=True)
    assert "Dana describes the incident" in page
    again = _start(client)  # "Start" while unfinished resumes, no new run
    assert again == url
    assert len(_runs(app)) == 1


def _finish(client: Any, url: str, reflection: str = "I noticed tension.") -> None:
    client.post(url, data={"step": "0", "choice": "1"})
    client.post(url, data={"step": "1", "choice": "1"})
    client.post(url, data={"step": "2", "reflection": reflection})


def test_reflection_is_saved_to_the_journal_privately(
    app: Any, client: Any, trainee: Any
) -> None:
    _finish(client, _start(client), "Line one\nLine <two>")
    with app.app_context():
        [entry] = db.session.execute(select(JournalEntry)).scalars().all()
        assert entry.body == "Line one\nLine <two>"
        assert entry.shared is False
        assert entry.node_id == "noticing"
        assert entry.prompt.startswith("What did you notice in yourself")
        assert entry.user_id == trainee.id


def test_ending_closes_the_run_and_marks_the_case_done(
    app: Any, client: Any, trainee: Any
) -> None:
    url = _start(client)
    _finish(client, url)
    [run] = _runs(app)
    assert run.ending_id == "close"
    page = client.get(f"{VIGNETTE_URL}?run={run.id}").get_data(as_text=True)
    assert "Dana books a second session." in page
    assert "Case finished" in page
    assert "Your path" in page
    with app.app_context():
        [row] = db.session.execute(select(ItemProgress)).scalars().all()
        assert (row.item_id, row.status) == ("first-session", "done")
    # Further moves on a finished run change nothing.
    client.post(url, data={"step": "4", "choice": "1"})
    assert len(_runs(app)[0].steps) == 3


def test_finished_case_can_be_run_again_as_a_new_run(
    app: Any, client: Any, trainee: Any
) -> None:
    _finish(client, _start(client))
    page = client.get(VIGNETTE_URL).get_data(as_text=True)
    assert "Run the case again" in page
    second = _start(client)
    runs = _runs(app)
    assert [r.number for r in runs] == [1, 2]
    assert second.endswith(f"/runs/{runs[1].id}")
    assert runs[1].current_node == "arrival"


def test_skipping_a_reflection_saves_nothing(
    app: Any, client: Any, trainee: Any
) -> None:
    url = _start(client)
    client.post(url, data={"step": "0", "choice": "1"})
    client.post(url, data={"step": "1", "choice": "1"})
    client.post(url, data={"step": "2", "skip": "1", "reflection": "draft"})
    assert _runs(app)[0].finished_at is not None
    with app.app_context():
        assert db.session.execute(select(JournalEntry)).first() is None


def test_too_long_reflection_is_refused_and_kept(
    app: Any, client: Any, trainee: Any
) -> None:
    url = _start(client)
    client.post(url, data={"step": "0", "choice": "1"})
    client.post(url, data={"step": "1", "choice": "1"})
    text = "x" * (JOURNAL_MAX + 1)
    response = client.post(url, data={"step": "2", "reflection": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Shorten your reflection to 10,000 characters" in page
    assert text in page
    assert _runs(app)[0].step_count == 2
    with app.app_context():
        assert db.session.execute(select(JournalEntry)).first() is None


def test_another_trainees_run_is_not_found(
    app: Any, client: Any, make_user: Any, login: Any
) -> None:
    login(make_user())
    url = _start(client)
    client.post("/logout")
    login(make_user())
    run_id = url.rsplit("/", 1)[1]
    assert client.get(f"{VIGNETTE_URL}?run={run_id}").status_code == 404
    assert client.post(url, data={"step": "0", "choice": "1"}).status_code == 404
    assert _runs(app)[0].step_count == 0


def test_case_page_is_reachable_from_the_module(client: Any, trainee: Any) -> None:
    page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    assert f'href="{VIGNETTE_URL}"' in page
