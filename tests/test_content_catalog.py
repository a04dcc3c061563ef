"""The catalog built from the complete example module, and broken-module handling."""

from __future__ import annotations

import dataclasses
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from kaptrain.content import (
    Evaluation,
    Lesson,
    Links,
    Quiz,
    Vignette,
    build_catalog,
    tree_fingerprint,
)

CONTENT = Path(__file__).parent / "content"
COMPLETE = CONTENT / "complete-module"
#: complete-module with honest CE hours (0.5): checks clean with every rule on.
HONEST = CONTENT / "honest-module"


@pytest.fixture(scope="module")
def module():
    result = build_catalog(COMPLETE)
    # Its 60 claimed minutes exceed the ~28 its content takes (issue 17's
    # honest CE hours); the fixture keeps ce_hours 1 for the app's tests.
    assert [p.code for p in result.problems] == ["M15"]
    return result.catalog.get("complete-module")


def make_tree(tmp_path: Path, *names: str) -> Path:
    """A modules tree holding copies of the honest example module under new ids."""
    tree = tmp_path / "modules"
    for order, name in enumerate(names, start=1):
        folder = tree / name
        shutil.copytree(HONEST, folder)
        text = (folder / "module.md").read_text()
        text = text.replace("id: honest-module", f"id: {name}")
        (folder / "module.md").write_text(text.replace("order: 1", f"order: {order}"))
    return tree


def test_complete_module_checks_clean(module) -> None:
    assert module is not None
    assert module.ce_hours == Decimal("1")
    assert module.total_minutes == 60
    assert [i.kind for i in module.items] == [
        "lesson",
        "lesson",
        "vignette",
        "quiz",
        "evaluation",
    ]


def test_items_and_navigation(module) -> None:
    assert isinstance(module.item("defining-racial-trauma"), Lesson)
    assert module.next_item("defining-racial-trauma").id == "microaggressions"
    assert module.prev_item("defining-racial-trauma") is None
    assert module.prev_item("microaggressions").id == "defining-racial-trauma"
    assert module.next_item("course-evaluation") is None
    assert isinstance(module.quiz, Quiz)
    assert isinstance(module.evaluation, Evaluation)
    assert [v.id for v in module.vignettes] == ["first-session"]


def test_quiz_model(module) -> None:
    quiz = module.quiz
    assert (quiz.pass_percent, quiz.pretest, quiz.shuffle_options) == (80, True, True)
    assert (quiz.max_attempts, quiz.retry_wait_minutes) == (3, 10)
    types = [q.type for q in quiz.questions]
    assert types == ["single", "multiple", "true-false", "order", "single", "single"]
    first = quiz.questions[0]
    assert [o.key for o in first.options] == ["a", "b", "c"]
    assert first.correct_keys == ("b",)
    assert "not a disorder" in first.options[1].feedback_html
    assert 'href="#ref-carter-2007"' in first.explanation_html
    assert first.cited_keys == ("carter-2007",)
    assert quiz.question("opening-steps").correct_keys == ("a", "b", "c")


def test_vignette_model(module) -> None:
    vignette = module.item("first-session")
    assert isinstance(vignette, Vignette)
    assert vignette.start == "arrival"
    assert list(vignette.nodes) == [
        "arrival",
        "checklist",
        "agenda",
        "noticing",
        "early-close",
        "close",
    ]
    arrival = vignette.nodes["arrival"]
    assert [(c.key, c.rating, c.target) for c in arrival.choices] == [
        ("1", "best", "agenda"),
        ("2", "ok", "agenda"),
        ("3", "avoid", "checklist"),
    ]
    assert "control" in arrival.choices[0].feedback_html
    assert "<blockquote>" in arrival.body_html
    assert vignette.nodes["checklist"].next == "arrival"  # loops are allowed
    assert vignette.nodes["noticing"].kind == "reflection"
    assert vignette.nodes["close"].choices == ()
    assert vignette.optional is True


def test_lesson_rendering(module) -> None:
    lesson = module.item("defining-racial-trauma")
    assert '<details class="callout callout-reveal">' in lesson.html
    assert "<summary>Model answer</summary>" in lesson.html
    for name in ("note", "tip", "caution", "content-note"):
        assert f'class="callout callout-{name}"' in lesson.html
    assert 'src="/modules/complete-module/media/model.png"' in lesson.html
    assert 'href="/modules/complete-module/microaggressions#everyday-slights"' in (
        lesson.html
    )
    assert "<table>" in lesson.html and 'class="footnote"' in lesson.html
    assert 'href="#an-injury-not-a-disorder"' in lesson.toc_html
    assert ">Carter 2007</a>; <a" in lesson.html
    assert ">Sue et al. 2007</a>" in lesson.html
    assert lesson.cited_keys == ("carter-2007", "sue-2007")
    assert "r &lt; .3" in lesson.html


def test_references_and_evaluation(module) -> None:
    assert [r.key for r in module.references] == ["carter-2007", "sue-2007"]
    carter = module.reference("carter-2007")
    assert carter.href == "https://doi.org/10.1177/0011000006292033"
    assert "<em>The Counseling Psychologist</em>" in carter.text_html
    assert [r[0] for r in module.evaluation.ratings] == ["objectives-met", "relevant"]
    assert [c[0] for c in module.evaluation.comments] == ["improve"]


def test_media_is_exposed(module) -> None:
    assert module.media == frozenset({"media/model.png"})
    assert module.media_file("model.png") == module.path / "media" / "model.png"
    assert module.media_file("../module.md") is None


def test_catalog_is_immutable(module) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        module.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        module.item("first-session").nodes["x"] = None  # type: ignore[index]
    assert isinstance(module.items, tuple)


def test_broken_module_is_left_out_and_others_served(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "alpha", "beta", "gamma")
    quiz = tree / "beta" / "quiz.md"
    quiz.write_text(quiz.read_text().replace("- [ ] Disorder", "- [x] Disorder"))
    catalog = build_catalog(tree).catalog
    assert [m.id for m in catalog.modules] == ["alpha", "gamma"]
    assert catalog.get("beta") is None
    [broken] = catalog.broken
    assert (broken.name, broken.id) == ("beta", "beta")
    assert [p.code for p in broken.problems] == ["Q3"]
    assert broken.problems[0].path == "modules/beta/quiz.md"
    assert catalog.problems == broken.problems


def test_renaming_a_lesson_file_keeps_its_id(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "alpha")
    folder = tree / "alpha"
    before = build_catalog(tree).catalog.get("alpha")
    (folder / "01-defining-racial-trauma.md").rename(folder / "01-racial-trauma.md")
    for name in ("module.md", "01-racial-trauma.md"):
        path = folder / name
        path.write_text(
            path.read_text().replace(
                "01-defining-racial-trauma.md", "01-racial-trauma.md"
            )
        )
    after = build_catalog(tree).catalog.get("alpha")
    assert after is not None
    assert [i.id for i in after.items] == [i.id for i in before.items]
    assert before.content_hash != after.content_hash


def test_catalog_orders_by_order_and_versions_change(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "zeta", "alpha")
    first = build_catalog(tree).catalog
    assert [m.id for m in first.modules] == ["zeta", "alpha"]
    lesson = tree / "alpha" / "02-microaggressions.md"
    lesson.write_text(lesson.read_text() + "\nOne more line.\n")
    assert build_catalog(tree).catalog.version != first.version


def test_tree_fingerprint_tracks_edits(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "alpha")
    before = tree_fingerprint(tree)
    assert tree_fingerprint(tree) == before
    (tree / "alpha" / "quiz.md").write_text("changed")
    assert tree_fingerprint(tree) != before


def test_links_are_caller_supplied(tmp_path: Path) -> None:
    links = Links(
        media=lambda m, p: f"https://cdn.test/{m}/{p}",
        item=lambda m, i: f"/learn/{m}/{i}",
    )
    module = build_catalog(COMPLETE, links=links).catalog.get("complete-module")
    html = module.item("defining-racial-trauma").html
    assert 'src="https://cdn.test/complete-module/media/model.png"' in html
    assert 'href="/learn/complete-module/microaggressions#everyday-slights"' in html


def test_missing_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        build_catalog(tmp_path / "nope")


def test_previous_catalog_reuses_unchanged_modules(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "alpha", "beta")
    first = build_catalog(tree).catalog
    lesson = tree / "beta" / "02-microaggressions.md"
    lesson.write_text(lesson.read_text() + "\nOne more line.\n")
    second = build_catalog(tree, previous=first).catalog
    assert second.get("alpha") is first.get("alpha")
    assert second.get("beta") is not first.get("beta")
    assert "One more line." in second.get("beta").item("microaggressions").html
