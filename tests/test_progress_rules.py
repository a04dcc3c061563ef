"""The progress rules as pure functions: no app, no database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from flask import Flask, render_template_string

from kaptrain.learning.progress import rules
from kaptrain.learning.progress.rules import ModuleProgress


@dataclass(frozen=True)
class FakeItem:
    id: str
    kind: str
    title: str
    optional: bool = False
    pretest: bool = False


@dataclass(frozen=True)
class FakeModule:
    items: tuple[FakeItem, ...]

    @property
    def required_items(self) -> tuple[FakeItem, ...]:
        return tuple(i for i in self.items if not i.optional)

    @property
    def quiz(self) -> FakeItem:
        return next(i for i in self.items if i.kind == "quiz")


QUIZ = FakeItem("q", "quiz", "Check", pretest=True)
MODULE = FakeModule(
    (
        FakeItem("l1", "lesson", "Intro"),
        QUIZ,
        FakeItem("extra", "lesson", "Extra", optional=True),
        FakeItem("v1", "vignette", "Case"),
        FakeItem("e", "evaluation", "Feedback"),
    )
)
NOTHING = ModuleProgress(
    user_id=1, module_id="m", status=rules.NOT_STARTED, lessons_done=0,
    lessons_total=1, vignettes_done=0, vignettes_total=1,
    done_item_ids=frozenset(), pretest_score=None, pretest_skipped=False,
    best_post_score=None, post_attempts=0, passed=False, passed_at=None,
    evaluation_done=False, certificate_code=None, completed_at=None,
    ce_hours_earned=Decimal(0), last_activity=None, first_activity=None,
)  # fmt: skip
EVERYTHING = replace(
    NOTHING,
    done_item_ids=frozenset({"l1", "v1", "q", "e"}),
    pretest_skipped=True,
    passed=True,
    evaluation_done=True,
)


def test_required_leaves_out_optional_items() -> None:
    assert rules.required_ids(MODULE) == ("l1", "q", "v1", "e")
    assert rules.required_ids(MODULE, "lesson") == ("l1",)


@pytest.mark.parametrize(
    ("certified", "touched", "status"),
    [
        (False, False, rules.NOT_STARTED),
        (False, True, rules.IN_PROGRESS),
        (True, True, rules.COMPLETED),
    ],
)
def test_module_status(certified: bool, touched: bool, status: str) -> None:
    assert rules.module_status(certified=certified, touched=touched) == status


def test_next_step_offers_the_pretest_then_the_first_required_item() -> None:
    assert rules.next_step(MODULE, NOTHING) is QUIZ
    taken = replace(NOTHING, pretest_skipped=True, done_item_ids=frozenset({"l1"}))
    assert rules.next_step(MODULE, taken).id == "q"
    assert rules.next_step(MODULE, EVERYTHING) is None


def test_remaining_lists_the_path_then_the_post_test_and_evaluation() -> None:
    assert rules.remaining_requirements(MODULE, NOTHING) == [
        "Complete the lesson “Intro”.",
        "Finish the case “Case”.",
        "Pass the post-test “Check”.",
        "Submit the course evaluation “Feedback”.",
    ]
    assert not rules.is_complete(MODULE, NOTHING)
    assert rules.remaining_requirements(MODULE, EVERYTHING) == []
    assert rules.is_complete(MODULE, EVERYTHING)


def test_an_evaluation_under_an_earlier_id_counts_as_done() -> None:
    renamed = replace(EVERYTHING, done_item_ids=frozenset({"l1", "v1", "q"}))
    assert rules.item_state(MODULE.items[-1], renamed) == rules.DONE
    assert rules.is_complete(MODULE, renamed)


def test_item_state() -> None:
    started = replace(NOTHING, started_item_ids=frozenset({"v1"}))
    assert rules.item_state(MODULE.items[3], started) == rules.IN_PROGRESS
    assert rules.item_state(MODULE.items[0], started) == rules.NOT_STARTED
    assert rules.item_state(MODULE.items[0], EVERYTHING) == rules.DONE


def test_status_words_reach_templates_through_one_filter() -> None:
    from kaptrain.learning.progress import init_progress_words

    app = Flask(__name__)
    init_progress_words(app)
    with app.app_context():
        text = render_template_string(
            "{% for s in module_statuses %}{{ s|status_word }};{% endfor %}"
        )
    assert text == "Not started;In progress;Completed;"
