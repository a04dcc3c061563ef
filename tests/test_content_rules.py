"""Every checker rule, one tiny fixture module per case under tests/content/."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaptrain.content import CODES, build_catalog

CONTENT = Path(__file__).parent / "content"

# (fixture folder, file inside it, line, code)
CASES = [
    ("f1-invalid-utf8", "lesson.md", 9, "F1"),
    ("f3-unknown-key", "lesson.md", 5, "F3"),
    ("f4-binary", "lesson.md", 9, "F4"),
    ("f5-no-front-matter", "lesson.md", 1, "F5"),
    ("f5-blank-line-before-front-matter", "lesson.md", 1, "F5"),
    ("f6-unclosed-front-matter", "lesson.md", 1, "F6"),
    ("f7-yaml-syntax", "lesson.md", 4, "F7"),
    ("f8-front-matter-not-mapping", "lesson.md", 2, "F8"),
    ("f9-missing-key", "lesson.md", 1, "F9"),
    ("f10-wrong-types", "lesson.md", 3, "F10"),
    ("f10-wrong-types", "lesson.md", 5, "F10"),
    ("f10-wrong-types", "lesson.md", 6, "F10"),
    ("f10-wrong-types", "lesson.md", 7, "F10"),
    ("f10-wrong-types", "module.md", 6, "F10"),
    ("f10-wrong-types", "module.md", 7, "F10"),
    ("f10-wrong-types", "module.md", 8, "F10"),
    ("f11-unknown-kind", "lesson.md", 2, "F11"),
    ("f11-module-kind-outside-module-md", "extra.md", 2, "F11"),
    ("f12-duplicate-key", "lesson.md", 5, "F12"),
    ("m1-missing-module-md", "no-module/module.md", 1, "M1"),
    ("m2-duplicate-module-id", "one/module.md", 3, "M2"),
    ("m2-duplicate-module-id", "two/module.md", 3, "M2"),
    ("m3-duplicate-order", "two/module.md", 7, "M3"),
    ("m4-missing-prerequisite", "one/module.md", 12, "M4"),
    ("m5-prerequisite-cycle", "one/module.md", 12, "M5"),
    ("m5-prerequisite-cycle", "two/module.md", 12, "M5"),
    ("m6-contents-missing-file", "module.md", 13, "M6"),
    ("m7-unlisted-file", "module.md", 11, "M7"),
    ("m8-contents-listed-twice", "module.md", 13, "M8"),
    ("m9-duplicate-item-id", "b.md", 3, "M9"),
    ("m10-no-quiz", "module.md", 11, "M10"),
    ("m10-two-quizzes", "quiz2.md", 1, "M10"),
    ("m11-no-evaluation", "module.md", 11, "M11"),
    ("m12-credit-mismatch", "module.md", 8, "M12"),
    ("m12-credit-mismatch", "quiz.md", 1, "M13"),
    ("m14-unmeasurable-objective", "lesson.md", 7, "M14"),
    ("b1-unclosed-block", "lesson.md", 10, "B1"),
    ("b1-unclosed-question", "quiz.md", 7, "B1"),
    ("b2-nested-block", "lesson.md", 9, "B2"),
    ("b3-block-not-allowed", "lesson.md", 8, "B3"),
    ("b3-block-not-allowed", "lesson.md", 12, "B3"),
    ("b4-raw-html", "lesson.md", 8, "B4"),
    ("b4-raw-html", "lesson.md", 10, "B4"),
    ("b5-stray-close", "lesson.md", 9, "B5"),
    ("b6-reveal-without-title", "lesson.md", 8, "B6"),
    ("b6-question-without-id", "quiz.md", 7, "B6"),
    ("b7-text-outside-blocks", "quiz.md", 7, "B7"),
    ("b8-empty-block", "lesson.md", 8, "B8"),
    ("q1-duplicate-question-id", "quiz.md", 13, "Q1"),
    ("q2-unknown-type", "quiz.md", 8, "Q2"),
    ("q3-single-two-correct", "quiz.md", 7, "Q3"),
    ("q3-single-none-correct", "quiz.md", 7, "Q3"),
    ("q4-multiple-all-correct", "quiz.md", 7, "Q4"),
    ("q5-one-option", "quiz.md", 9, "Q5"),
    ("q5-order-two-steps", "quiz.md", 10, "Q5"),
    ("q6-no-stem", "quiz.md", 7, "Q6"),
    ("q7-feedback-after-blank", "quiz.md", 11, "Q7"),
    ("q8-near-miss-markers", "quiz.md", 9, "Q8"),
    ("q8-near-miss-markers", "quiz.md", 10, "Q8"),
    ("q8-near-miss-markers", "quiz.md", 11, "Q8"),
    ("q8-near-miss-markers", "quiz.md", 12, "Q8"),
    ("q8-near-miss-markers", "quiz.md", 13, "Q8"),
    ("q9-pass-percent", "quiz.md", 5, "Q9"),
    ("q10-order-with-markers", "quiz.md", 11, "Q10"),
    ("q11-true-false-texts", "quiz.md", 10, "Q11"),
    ("q12-text-after-options", "quiz.md", 11, "Q12"),
    ("q12-misplaced-type", "quiz.md", 9, "Q12"),
    ("q13-empty-option", "quiz.md", 9, "Q13"),
    ("v1-duplicate-node", "case.md", 19, "V1"),
    ("v2-missing-target", "case.md", 15, "V2"),
    ("v3-missing-start", "case.md", 5, "V3"),
    ("v4-unreachable-node", "case.md", 15, "V4"),
    ("v5-dead-end", "case.md", 15, "V5"),
    ("v6-ending-with-exit", "case.md", 17, "V6"),
    ("v7-loop-without-ending", "case.md", 10, "V7"),
    ("v7-no-ending", "case.md", 10, "V7"),
    ("v8-unknown-rating", "case.md", 13, "V8"),
    ("v9-single-choice", "case.md", 13, "V9"),
    ("v10-choice-without-target", "case.md", 13, "V10"),
    ("v-based-on-missing", "case.md", 1, "F9"),
    ("e1-duplicate-evaluation-id", "evaluation.md", 11, "E1"),
    ("e2-no-rating", "evaluation.md", 1, "E2"),
    ("c1-unknown-citation", "lesson.md", 9, "C1"),
    ("c1-no-references-file", "lesson.md", 8, "C1"),
    ("c2-unused-reference", "references.yaml", 3, "C2"),
    ("c3-malformed-reference", "references.yaml", 3, "C3"),
    ("c3-reference-yaml-syntax", "references.yaml", 2, "C3"),
    ("c4-malformed-citation", "lesson.md", 8, "C4"),
    ("l1-broken-link", "lesson.md", 8, "L1"),
    ("l2-missing-image", "lesson.md", 8, "L2"),
    ("l3-image-without-alt", "lesson.md", 8, "L3"),
    ("l4-link-outside-module", "lesson.md", 8, "L4"),
    ("l5-javascript-link", "lesson.md", 8, "L5"),
    ("l6-remote-image", "lesson.md", 8, "L6"),
    # Issue 17: objectives, levels, item-writing cues, references, CE hours.
    ("q14-question-attributes", "quiz.md", 10, "Q14"),  # :level: aply
    ("q14-question-attributes", "quiz.md", 20, "Q14"),  # :objectivs:
    ("q14-question-attributes", "quiz.md", 29, "Q14"),  # :objectives: two
    ("q14-question-attributes", "quiz.md", 39, "Q14"),  # :level: twice
    ("q14-question-attributes", "quiz.md", 51, "Q12"),  # attribute after stem
    ("q15-objective-out-of-range", "quiz.md", 10, "Q15"),
    ("m16-objective-not-assessed", "module.md", 11, "M16"),
    ("m16-objective-not-assessed", "module.md", 12, "M16"),
    ("m16-objective-not-assessed", "quiz.md", 20, "Q16"),
    ("m16-objective-not-assessed", "quiz.md", 29, "Q17"),
    ("m17-malformed-planner", "module.md", 14, "M17"),
    ("m17-malformed-planner", "module.md", 18, "M17"),
    ("m17-malformed-planner", "module.md", 23, "M17"),
    ("m18-no-planners", "module.md", 1, "M18"),
    ("q16-no-question-names-objectives", "quiz.md", 9, "Q16"),
    ("q18-few-application-items", "quiz.md", 1, "Q18"),
    ("q19-no-attempt-limits", "quiz.md", 1, "Q19"),
    ("w-longest-keyed-option", "quiz.md", 9, "W-LONGEST"),
    ("w-cue-stem-word", "quiz.md", 16, "W-CUE"),
    ("w-all-of-the-above", "quiz.md", 17, "W-ALL"),
    ("w-all-of-the-above", "quiz.md", 28, "W-ALL"),
    ("w-neg-negative-stem", "quiz.md", 13, "W-NEG"),
    ("w-neg-negative-stem", "quiz.md", 34, "W-NEG"),
    ("m15-overclaimed-hours", "module.md", 8, "M15"),
    ("c3-doi-none-without-reason", "references.yaml", 6, "C3"),
    ("c3-reference-without-type", "references.yaml", 1, "C3"),
    ("c3-unknown-reference-type", "references.yaml", 2, "C3"),
    ("c5-reference-without-title", "references.yaml", 1, "C5"),
    ("c6-article-without-doi", "references.yaml", 1, "C6"),
    ("c7-web-without-url", "references.yaml", 1, "C7"),
    ("c8-text-reference", "references.yaml", 2, "C8"),
]


def found(case: str) -> set[tuple[str, int, str]]:
    """(path inside the case folder, line, code) for every problem."""
    result = build_catalog(CONTENT / case)
    return {(p.path.split("/", 1)[1], p.line, p.code) for p in result.problems}


@pytest.mark.parametrize(
    ("case", "path", "line", "code"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES]
)
def test_rule(case: str, path: str, line: int, code: str) -> None:
    assert (path, line, code) in found(case)


def test_every_code_has_a_fixture_or_a_dedicated_test() -> None:
    covered = {c[3] for c in CASES} | {"F2"}  # F2: tests/test_content_reader.py
    assert set(CODES) - covered == set()


@pytest.mark.parametrize(
    ("case", "path", "codes"),
    [
        # One typo, one error: the graph rules wait until targets resolve.
        ("v2-missing-target", "case.md", ["V2"]),
        ("v10-choice-without-target", "case.md", ["V10"]),
        ("v5-dead-end", "case.md", ["V5"]),
        ("b2-nested-block", "lesson.md", ["B2"]),
        ("b1-unclosed-question", "quiz.md", ["B1"]),
        ("f3-unknown-key", "lesson.md", ["F3"]),
        ("m6-contents-missing-file", "module.md", ["M6"]),
        ("q3-single-two-correct", "quiz.md", ["Q3"]),
    ],
)
def test_one_mistake_one_error(case: str, path: str, codes: list[str]) -> None:
    result = build_catalog(CONTENT / case)
    errors = [p.code for p in result.errors if p.path.endswith("/" + path)]
    assert errors == codes


def test_message_format_matches_the_design() -> None:
    result = build_catalog(CONTENT / "q3-single-two-correct")
    line = next(str(p) for p in result.problems if p.code == "Q3")
    assert line == (
        'q3-single-two-correct/quiz.md:7: error Q3: question "rbts-injury" is type '
        '"single" but marks 2 correct options (lines 12, 14); mark exactly one option '
        '[x]; use ":type: multiple" for several'
    )


@pytest.mark.parametrize(
    ("case", "code", "suggestion"),
    [
        ("v2-missing-target", "V2", 'Did you mean "agenda"?'),
        ("f3-unknown-key", "F3", 'Did you mean "estimated_minutes"?'),
        ("f11-unknown-kind", "F11", 'Did you mean "lesson"?'),
        ("q2-unknown-type", "Q2", 'Did you mean "multiple"?'),
        ("v8-unknown-rating", "V8", 'Did you mean "best"?'),
        ("c1-unknown-citation", "C1", 'Did you mean "carter-2007"?'),
        ("m4-missing-prerequisite", "M4", 'Did you mean "two"?'),
        ("m6-contents-missing-file", "M6", 'Did you mean "lesson.md"?'),
        ("b3-block-not-allowed", "B3", 'Did you mean "note"?'),
        ("f7-yaml-syntax", "F7", 'title: "Anxiety: an overview"'),
        ("f10-wrong-types", "F10", 'Try "1.0.0"'),
        ("q14-question-attributes", "Q14", 'Did you mean "apply"?'),
        ("c3-unknown-reference-type", "C3", 'Did you mean "article"?'),
        ("q14-question-attributes", "Q14", 'Did you mean "objectives"?'),
        ("w-cue-stem-word", "W-CUE", 'word "remark"'),
        (
            "w-longest-keyed-option",
            "W-LONGEST",
            "2 of 3 single-choice questions (67%; at most 35%): one, two",
        ),
        (
            "m16-objective-not-assessed",
            "M16",
            'objective 3 ("Draft a safety plan") is assessed by no post-test',
        ),
        (
            "m15-overclaimed-hours",
            "M15",
            "claims 60 minutes, but the content takes about 15",
        ),
    ],
)
def test_suggestions(case: str, code: str, suggestion: str) -> None:
    messages = [
        p.message for p in build_catalog(CONTENT / case).problems if p.code == code
    ]
    assert any(suggestion in m for m in messages), messages


@pytest.mark.parametrize(
    ("case", "code", "quiet_lines"),
    [
        # Bold negation, and a negation in the scenario rather than the question.
        ("w-neg-negative-stem", "W-NEG", set(range(19, 28))),
        # The stem's word is in a distractor too, so it cues nothing.
        ("w-cue-stem-word", "W-CUE", set(range(20, 29))),
    ],
)
def test_cue_rules_stay_quiet_where_there_is_no_cue(
    case: str, code: str, quiet_lines: set[int]
) -> None:
    lines = {p.line for p in build_catalog(CONTENT / case).problems if p.code == code}
    assert lines and not lines & quiet_lines


def test_coverage_waits_until_a_question_names_objectives() -> None:
    codes = [
        p.code
        for p in build_catalog(CONTENT / "q16-no-question-names-objectives").problems
    ]
    assert "Q16" in codes and "M16" not in codes


def test_doi_none_with_a_reason_is_accepted() -> None:
    result = build_catalog(CONTENT / "c6-doi-none-with-reason")
    codes = {p.code for p in result.problems}
    assert not codes & {"C3", "C6"}


def test_raw_html_allows_less_than_and_code() -> None:
    lines = {
        p.line
        for p in build_catalog(CONTENT / "b4-raw-html").problems
        if p.code == "B4"
    }
    assert lines == {8, 10}
