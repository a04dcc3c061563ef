"""Item kinds as plug-ins: the registry, the routes it adds, the one locked-module
decorator, and a fake kind that joins through the same path a new folder would."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue

from kaptrain.extensions import db
from kaptrain.kinds.base import Action, Kind
from kaptrain.kinds.page import ITEM_URL, item_view, register_kinds, views_of
from kaptrain.kinds.registry import KIND_WORDS, KINDS, kind_named
from kaptrain.learning.progress import remaining_requirements
from kaptrain.learning.progress.sources import SOURCES
from kaptrain.models import (
    EvaluationResponse,
    ItemProgress,
    QuizAttempt,
    VignetteRun,
)
from kaptrain.web.learn.context import ModuleContext
from tests.support.learn import MODULE_ID, SECOND_ID

pytestmark = pytest.mark.content("complete-module", second=True)

#: One item of each kind in the fixture module.
ITEM_OF_KIND = {
    "lesson": "defining-racial-trauma",
    "quiz": "post-test",
    "vignette": "first-session",
    "evaluation": "course-evaluation",
}


def test_the_registry_lists_the_four_kinds_in_order() -> None:
    assert [k.name for k in KINDS] == ["lesson", "quiz", "vignette", "evaluation"]
    assert KIND_WORDS == {
        "lesson": "Lesson",
        "quiz": "Quiz",
        "vignette": "Case",
        "evaluation": "Evaluation",
    }
    assert kind_named("vignette").requirement == "Finish the case “{title}”."
    # Each kind's record query feeds progress, between item rows and certificates.
    assert [s.name for s in SOURCES] == [
        "items",
        "quizzes",
        "vignettes",
        "evaluations",
        "certificates",
    ]


def _kind_rules(app: Flask, prefix: str = "") -> dict[str, tuple[str, frozenset[str]]]:
    return {
        rule.endpoint: (rule.rule, frozenset(rule.methods - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(f"{prefix}/modules/<module_id>/<item_id>")
    }


def test_every_kind_route_is_registered(app: Flask) -> None:
    routes = _kind_rules(app)
    assert routes == {
        "learn.item": (ITEM_URL, frozenset({"GET"})),
        "learn.complete": (f"{ITEM_URL}/complete", frozenset({"POST"})),
        "learn.start_quiz": (f"{ITEM_URL}/start", frozenset({"POST"})),
        "learn.skip_quiz_pretest": (f"{ITEM_URL}/skip-pretest", frozenset({"POST"})),
        "learn.attempt": (f"{ITEM_URL}/attempts/<int:attempt_id>", frozenset({"GET"})),
        "learn.submit": (f"{ITEM_URL}/attempts/<int:attempt_id>", frozenset({"POST"})),
        "learn.start_vignette": (f"{ITEM_URL}/runs", frozenset({"POST"})),
        "learn.move": (f"{ITEM_URL}/runs/<int:run_id>", frozenset({"POST"})),
        "learn.submit_evaluation_view": (f"{ITEM_URL}/evaluation", frozenset({"POST"})),
    }
    # ... and every one of them is an action some kind declares (or the item page).
    declared = {f"learn.{a.endpoint}" for k in KINDS for a in views_of(k).ACTIONS}
    assert declared | {"learn.item"} == set(routes)


def _every_kind_view() -> list[tuple[str, str, str]]:
    """(kind, method, URL under the item) for the page and every action."""
    cases = [(kind.name, "GET", "") for kind in KINDS]
    for kind in KINDS:
        for action in views_of(kind).ACTIONS:
            rule = action.rule.replace("<int:attempt_id>", "1").replace(
                "<int:run_id>", "1"
            )
            for method in action.methods:
                cases.append((kind.name, method, rule))
    return cases


@pytest.mark.parametrize(("kind", "method", "rest"), _every_kind_view())
def test_a_locked_module_redirects_every_kind_view(
    app: Flask, client: Any, trainee: Any, kind: str, method: str, rest: str
) -> None:
    url = f"/modules/{SECOND_ID}/{ITEM_OF_KIND[kind]}{rest}"
    response = client.open(url, method=method, data={"kind": "post", "step": "0"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/modules/{SECOND_ID}")
    page = client.get(f"/modules/{SECOND_ID}").get_data(as_text=True)
    assert "This module opens when you complete" in page
    with app.app_context():
        for model in (ItemProgress, QuizAttempt, VignetteRun, EvaluationResponse):
            assert db.session.query(model).count() == 0


@pytest.mark.parametrize("kind", [k.name for k in KINDS])
def test_a_kind_view_answers_404_for_an_item_of_another_kind(
    client: Any, trainee: Any, kind: str
) -> None:
    other = "post-test" if kind != "quiz" else "defining-racial-trauma"
    action = views_of(kind_named(kind)).ACTIONS[0]
    rule = action.rule.replace("<int:attempt_id>", "1").replace("<int:run_id>", "1")
    response = client.open(
        f"/modules/{MODULE_ID}/{other}{rule}", method=action.methods[0]
    )
    assert response.status_code == 404


# -- a fake kind, joining the way a new folder under kaptrain/kinds/ would -------


@dataclasses.dataclass(frozen=True)
class Note:
    """A content item of the fake kind."""

    id: str
    title: str
    kind: str = "note"
    optional: bool = False
    estimated_minutes: int = 1
    source_path: Path = Path("note.md")


def page(context: ModuleContext, note: Note) -> ResponseReturnValue:
    """The fake kind's page."""
    return f"Note page: {note.title} in {context.module.title}"


@item_view("note")
def read_note(context: ModuleContext, note: Note) -> ResponseReturnValue:
    """The fake kind's one action."""
    return f"Read: {note.title}"


ACTIONS = (Action("/read", "read_note", read_note),)

NOTE = Kind(
    name="note",
    word="Note",
    requirement="Read the note “{title}”.",
    views=__name__,
)


def _with_note(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve a catalog whose modules also have an item of the fake kind."""
    state = app.extensions["kaptrain"]
    catalog = state.current()
    note = Note("reading-note", "A short reading note")
    modules = tuple(
        dataclasses.replace(m, items=(*m.items, note)) for m in catalog.modules
    )
    catalog = dataclasses.replace(
        catalog,
        modules=modules,
        by_id=MappingProxyType({m.id: m for m in modules}),
    )
    monkeypatch.setattr(state, "current", lambda: catalog)


def test_a_fake_kind_registered_in_a_test_app_shows_up(
    app: Flask, client: Any, make_user: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    bp = Blueprint("fakelearn", __name__, url_prefix="/fake")
    register_kinds(bp, (*KINDS, NOTE))
    app.register_blueprint(bp)  # before the first request, as create_app does
    assert _kind_rules(app, "/fake")["fakelearn.read_note"] == (
        f"/fake{ITEM_URL}/read",
        frozenset({"POST"}),
    )
    _with_note(app, monkeypatch)
    login(make_user(role="trainee"))

    note_url = f"/fake/modules/{MODULE_ID}/reading-note"
    response = client.get(note_url)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == (
        "Note page: A short reading note in Racial trauma: a complete example module"
    )
    response = client.post(f"{note_url}/read")
    assert response.get_data(as_text=True) == "Read: A short reading note"
    # The decorator holds for the new kind too: another kind's item is a 404 ...
    lesson = f"/fake/modules/{MODULE_ID}/defining-racial-trauma"
    assert client.post(f"{lesson}/read").status_code == 404
    # ... the registered kinds still answer through the same item page ...
    assert "Defining racial trauma" in client.get(lesson).get_data(as_text=True)
    # ... a locked module redirects ...
    locked = client.post(f"/fake/modules/{SECOND_ID}/reading-note/read")
    assert locked.status_code == 302
    assert locked.headers["Location"].endswith(f"/modules/{SECOND_ID}")
    # ... and the real learn blueprint, given only the registry, does not know it.
    assert client.get(f"/modules/{MODULE_ID}/reading-note").status_code == 404


def test_requirements_and_words_come_from_the_kind_declarations() -> None:
    @dataclasses.dataclass(frozen=True)
    class _Module:
        required_items: tuple[Any, ...]

    @dataclasses.dataclass(frozen=True)
    class _Item:
        id: str
        kind: str
        title: str

    @dataclasses.dataclass(frozen=True)
    class _Progress:
        done_item_ids: frozenset[str] = frozenset()
        passed: bool = False
        evaluation_done: bool = False

    module = _Module(
        (
            _Item("e", "evaluation", "Feedback"),
            _Item("q", "quiz", "Check"),
            _Item("v", "vignette", "Case one"),
            _Item("l", "lesson", "Intro"),
        )
    )
    assert remaining_requirements(module, _Progress()) == [  # type: ignore[arg-type]
        "Finish the case “Case one”.",
        "Complete the lesson “Intro”.",
        "Pass the post-test “Check”.",
        "Submit the course evaluation “Feedback”.",
    ]
