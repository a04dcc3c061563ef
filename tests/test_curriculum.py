"""The shipped curriculum meets the course requirements (issue 6), read from the
catalog the site serves: the counts a clinical training director relies on.

These run on the real modules/ folder, so an edit that drops a module below a
requirement fails here, not in front of a licensing board.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from kaptrain.content import build_catalog

MODULES = Path(__file__).resolve().parent.parent / "modules"
EXPECTED = {
    "racial-trauma": Decimal("2"),
    "implicit-bias-cultural-humility": Decimal("1.5"),
    "kap-foundations-safety": Decimal("2"),
    "kap-practice-integration-equity": Decimal("2"),
}
KAP_MODULES = ("kap-foundations-safety", "kap-practice-integration-equity")
# A stem that sets a clinical situation (a client, a supervisee, something said in
# session) is an application item; a bare "Which of these..." is recall.
APPLICATION = re.compile(
    r"\b(client|patient|supervisee|colleague|your|during|in session|asks you|"
    r"tells you|says)\b",
    re.IGNORECASE,
)
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return build_catalog(MODULES)


@pytest.fixture(scope="module")
def catalog(result):  # type: ignore[no-untyped-def]
    return result.catalog


def _text(html: str) -> str:
    return TAG.sub(" ", html)


def _body_words(path: Path) -> int:
    source = path.read_text(encoding="utf-8")
    body = source.split("---", 2)[2]
    return len(body.split())


def test_the_curriculum_checks_clean_with_no_warnings(result) -> None:  # type: ignore[no-untyped-def]
    assert [str(p) for p in result.problems] == []


def test_four_modules_with_their_ce_hours(catalog) -> None:  # type: ignore[no-untyped-def]
    assert {m.id: m.ce_hours for m in catalog.modules} == EXPECTED
    assert catalog.broken == ()


@pytest.mark.parametrize("module_id", EXPECTED)
def test_lessons(catalog, module_id: str) -> None:  # type: ignore[no-untyped-def]
    """5 or 6 lessons of 700-1,500 words, each opening with objectives and holding
    an exercise with a model answer (a reveal)."""
    module = catalog.get(module_id)
    assert 5 <= len(module.lessons) <= 6
    for lesson in module.lessons:
        words = _body_words(lesson.source_path)
        assert 700 <= words <= 1500, f"{lesson.id}: {words} words"
        assert lesson.objectives, f"{lesson.id} has no objectives"
        assert "<details" in lesson.html, f"{lesson.id} has no reveal exercise"


@pytest.mark.parametrize("module_id", EXPECTED)
def test_post_test(catalog, module_id: str) -> None:  # type: ignore[no-untyped-def]
    """At least 6 items per CE hour, doubling as the pre-test; feedback on every
    option of every choice item; an explanation citing its source on every item;
    at least a quarter of items applied to a clinical situation."""
    module = catalog.get(module_id)
    quiz = module.quiz
    assert quiz.pretest is True
    assert quiz.pass_percent >= 75
    assert len(quiz.questions) >= 6 * module.ce_hours
    for question in quiz.questions:
        assert 'class="cite"' in question.explanation_html, question.id
        if question.type != "order":  # order steps are explained as a whole
            for option in question.options:
                assert option.feedback_html.strip(), f"{question.id}/{option.key}"
    applied = [q for q in quiz.questions if APPLICATION.search(_text(q.stem_html))]
    assert len(applied) * 4 >= len(quiz.questions)


@pytest.mark.parametrize("module_id", EXPECTED)
def test_vignettes(catalog, module_id: str) -> None:  # type: ignore[no-untyped-def]
    """Two branching cases, each with 6+ scenes, 3+ decisions offering best, ok and
    avoid choices with feedback on each, a reflection and 2+ endings."""
    module = catalog.get(module_id)
    assert len(module.vignettes) == 2
    for vignette in module.vignettes:
        nodes = list(vignette.nodes.values())
        scenes = [n for n in nodes if n.kind == "scene"]
        decisions = [
            n
            for n in scenes
            if {c.rating for c in n.choices} >= {"best", "ok", "avoid"}
            and all(c.feedback_html.strip() for c in n.choices)
        ]
        assert len(scenes) >= 6, vignette.id
        assert len(decisions) >= 3, vignette.id
        assert any(n.kind == "reflection" for n in nodes), vignette.id
        assert sum(n.kind == "ending" for n in nodes) >= 2, vignette.id
        assert vignette.based_on.strip(), vignette.id


@pytest.mark.parametrize("module_id", EXPECTED)
def test_evaluation_content_note_and_references(catalog, module_id: str) -> None:  # type: ignore[no-untyped-def]
    module = catalog.get(module_id)
    assert len(module.evaluation.ratings) >= 3
    assert module.references
    notes = [module.content_note] + [item.content_note for item in module.lessons]
    notes += [v.content_note for v in module.vignettes]
    assert any(notes), f"{module_id} has no content note"


def test_kap_modules_say_they_are_education_not_a_licence(catalog) -> None:  # type: ignore[no-untyped-def]
    for module_id in KAP_MODULES:
        text = _text(catalog.get(module_id).overview_html).lower()
        assert "not a licence to practise" in text or "not a license" in text


def test_a_psychodynamic_kap_case_follows_the_published_case_report(catalog) -> None:  # type: ignore[no-untyped-def]
    cases = [v for m in KAP_MODULES for v in catalog.get(m).vignettes]
    based = [v for v in cases if "cottone" in v.based_on.lower()]
    assert based, "no vignette cites Cottone (2023) in based_on"
    assert all("composite" in v.based_on.lower() for v in based)


def test_dose_figures_appear_only_with_a_citation(catalog) -> None:  # type: ignore[no-untyped-def]
    """Dose figures are facts about trials or labels, always with their source:
    every paragraph or list item that states a dose in mg also carries a citation."""
    dose = re.compile(r"\d\s*(mg|milligram)", re.IGNORECASE)
    offenders = []
    for module in catalog.modules:
        fragments = [lesson.html for lesson in module.lessons]
        fragments += [q.explanation_html for q in module.quiz.questions]
        for html in fragments:
            for block in re.findall(r"<(p|li|td)>(.*?)</\1>", html, re.DOTALL):
                text = block[1]
                if dose.search(_text(text)) and 'class="cite"' not in text:
                    offenders.append((module.id, _text(text)[:120]))
    assert offenders == []
