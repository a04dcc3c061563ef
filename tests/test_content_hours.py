"""Honest CE hours, question attributes in the model, and the figures per module."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from kaptrain.content import build_catalog, run_check
from kaptrain.content.assessment import content_words, fold
from kaptrain.content.hours import (
    EVALUATION_MINUTES,
    QUIZ_ITEM_MINUTES,
    WORDS_PER_MINUTE,
    count_words,
)
from kaptrain.content.modules import load_module

CONTENT = Path(__file__).parent / "content"


def test_reading_rate_is_brysbaert_2019() -> None:
    assert WORDS_PER_MINUTE == 238


def test_words_skip_citations_link_targets_and_arrows() -> None:
    lines = [
        (1, "Racism can injure [@carter-2007], see [the lesson](02-next.md)."),
        (2, '"What would help today?" -> agenda'),
    ]
    assert count_words(lines) == 6 + 4


def test_estimate_adds_reading_and_activities() -> None:
    draft = load_module(CONTENT / "m15-overclaimed-hours", "m15")
    hours = draft.hours
    assert hours is not None
    # module overview (1 word) + lesson (14 words), 6 items, the evaluation.
    assert (hours.words, hours.quiz_items, hours.evaluation) == (15, 6, True)
    expected = 15 / WORDS_PER_MINUTE + 6 * QUIZ_ITEM_MINUTES + EVALUATION_MINUTES
    assert hours.minutes == -(-expected // 1)
    assert hours.claimed_minutes == 60 and hours.overclaimed


def test_pretest_counts_the_items_twice_and_vignettes_add_decisions() -> None:
    hours = load_module(CONTENT / "honest-module", "h").hours
    assert hours is not None
    assert (hours.pretest, hours.decisions, hours.reflections) == (True, 2, 1)
    assert hours.activity_minutes == 2 + 1 + 6 * QUIZ_ITEM_MINUTES * 2 + 5
    assert not hours.overclaimed  # 30 claimed, 28 estimated


def test_ten_percent_tolerance(tmp_path: Path) -> None:
    # honest-module takes 28 minutes: 30 claimed passes, 0.55 h (33) does not.
    folder = tmp_path / "m"
    shutil.copytree(CONTENT / "honest-module", folder)
    module = folder / "module.md"
    module.write_text(module.read_text().replace("ce_hours: 0.5", "ce_hours: 0.55"))
    codes = [p.code for p in load_module(folder, "m").problems]
    assert "M15" in codes


def test_question_attributes_reach_the_model() -> None:
    module = build_catalog(CONTENT / "honest-module").catalog.get("honest-module")
    levels = {q.id: (q.objectives, q.level) for q in module.quiz.questions}
    assert levels["rbts-injury"] == ((1,), "apply")
    assert levels["micro-kinds"] == ((2,), "recall")
    assert levels["default-single"] == ((1,), "understand")


def test_catalog_modules_carry_their_figures() -> None:
    module = build_catalog(CONTENT / "honest-module").catalog.get("honest-module")
    figures = module.figures
    assert figures is not None
    assert (figures.items, figures.apply_items, figures.apply_share) == (6, 3, 0.5)
    assert (figures.objectives, figures.objectives_covered) == (2, 2)
    assert (figures.references_titled, figures.references_linked) == (2, 2)
    assert (figures.estimated_minutes, figures.claimed_minutes) == (28, 30)
    assert "238 per minute" in figures.estimate_basis


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("stresses", "stress"),
        ("injuries", "injury"),
        ("Screening", "screen"),
        ("client's", "client"),
        ("remarks", "remark"),
    ],
)
def test_folding(word: str, folded: str) -> None:
    assert fold(word) == folded


def test_content_words_leave_out_short_and_stop_words() -> None:
    assert content_words("Which of these would describe the injury?") == {
        "describe",
        "injury",
    }


def check(case: str, **options) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    return run_check(CONTENT / case, out=out, **options), out.getvalue()


def test_strict_only_warnings_show_only_when_strict() -> None:
    status, output = check("c8-text-reference")
    assert "C8" not in output and "C5" in output
    status, output = check("c8-text-reference", strict=True)
    assert "warning C8" in output and status == 1


def test_json_carries_the_figures() -> None:
    status, output = check("w-longest-keyed-option", fmt="json")
    [module] = json.loads(output)["modules"]
    assert module["path"] == "w-longest-keyed-option"
    figures = module["figures"]
    assert figures["single_choice_items"] == 3
    assert figures["keyed_longest"] == 2
    assert figures["keyed_longest_share"] == 0.667


def test_missing_level_is_reported_only_when_strict() -> None:
    assert "Q17" not in check("m16-objective-not-assessed")[1]
    assert "warning Q17" in check("m16-objective-not-assessed", strict=True)[1]


@pytest.mark.parametrize(
    ("keyed", "other", "longest"),
    [
        ("Listen first", "Ask first!", True),
        ("Same length", "Same-length", False),
        ("Short", "A much longer distractor", False),
    ],
)
def test_keyed_longest_means_strictly_longer(
    keyed: str, other: str, longest: bool
) -> None:
    from kaptrain.content.assessment import keyed_is_longest
    from kaptrain.content.quizzes import OptionDraft, QuestionDraft

    q = QuestionDraft(
        id="q",
        line=1,
        options=[
            OptionDraft(line=2, correct=True, text=[(2, keyed)]),
            OptionDraft(line=3, correct=False, text=[(3, other + " [@carter-2007]")]),
        ],
    )
    assert keyed_is_longest(q) is longest
