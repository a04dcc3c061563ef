"""Lenient previews of modules that fail the check (no app needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kaptrain.content import build_catalog
from kaptrain.content.catalog import module_folders
from kaptrain.content.preview import preview_module

CONTENT = Path(__file__).parent / "content"
COMPLETE = CONTENT / "complete-module"
HONEST = CONTENT / "honest-module"


def fixture_folders() -> list[Path]:
    folders = []
    for case in sorted(p for p in CONTENT.iterdir() if p.is_dir()):
        folders.extend(module_folders(case))
    return folders


@pytest.mark.parametrize(
    "folder", fixture_folders(), ids=lambda p: str(p.relative_to(CONTENT))
)
def test_preview_never_raises_and_keeps_every_problem(folder: Path) -> None:
    preview = preview_module(folder, display=f"x/{folder.name}")
    found = set(preview.module_problems)
    for entry in preview.items:
        found |= set(entry.problems)
        assert all(p.path == entry.display for p in entry.problems)
    assert found == set(preview.problems)


def test_complete_module_preview_matches_the_catalog() -> None:
    module = build_catalog(COMPLETE).catalog.get("complete-module")
    preview = preview_module(COMPLETE, display="content/complete-module")
    # ce_hours 1 claims more than the ~28 minutes its content takes (M15).
    assert [p.code for p in preview.problems] == ["M15"]
    assert [e.item for e in preview.items] == list(module.items)
    assert preview.overview_html == module.overview_html
    assert preview.references == module.references
    assert preview.content_hash == module.content_hash


@pytest.fixture
def broken_quiz(tmp_path: Path) -> Path:
    folder = tmp_path / "modules" / "broken"
    shutil.copytree(HONEST, folder)
    quiz = folder / "quiz.md"
    quiz.write_text(
        quiz.read_text().replace("- [ ] A psychiatric", "- [x] A psychiatric")
    )
    return folder


def test_items_render_despite_errors_with_problems_beside_them(
    broken_quiz: Path,
) -> None:
    preview = preview_module(broken_quiz)
    assert preview.display == "modules/broken"
    quiz = preview.item("post-test")
    assert quiz is not None and quiz.item is not None
    assert [p.code for p in quiz.errors] == ["Q3"]
    assert quiz.problems[0].path == "modules/broken/quiz.md"
    assert "psychiatric disorder" in quiz.item.questions[0].options[0].text_html
    lesson = preview.item("defining-racial-trauma")
    assert lesson.problems == () and "An injury" in lesson.item.html
    assert preview.module_problems == ()


def test_missing_settings_get_placeholders(tmp_path: Path) -> None:
    folder = tmp_path / "modules" / "m"
    shutil.copytree(COMPLETE, folder)
    lesson = folder / "02-microaggressions.md"
    lesson.write_text(lesson.read_text().replace("estimated_minutes: 15\n", ""))
    case = folder / "case-first-session.md"
    case.write_text(case.read_text().replace("start: arrival\n", ""))
    preview = preview_module(folder)
    assert preview.item("microaggressions").item.estimated_minutes == 0
    assert {p.code for p in preview.item("microaggressions").problems} == {"F9"}
    assert preview.item("first-session").item.start == "arrival"


def test_unreadable_and_unlisted_files_are_listed(tmp_path: Path) -> None:
    folder = tmp_path / "modules" / "m"
    shutil.copytree(COMPLETE, folder)
    (folder / "draft.md").write_text("no front matter here\n")
    (folder / "notes.md").write_bytes(b"---\nkind: lesson\ntitle: \xff\n---\n")
    preview = preview_module(folder)
    draft = preview.item("draft.md")
    assert draft is not None and draft.item is None and not draft.listed
    assert {p.code for p in draft.problems} == {"F5"}
    assert preview.item("notes.md").item is None
    assert "M7" in {p.code for p in preview.module_problems}


def test_module_without_module_md(tmp_path: Path) -> None:
    folder = tmp_path / "modules" / "loose"
    folder.mkdir(parents=True)
    (folder / "lesson.md").write_text(
        "---\nkind: lesson\nid: a\ntitle: A\nestimated_minutes: 5\n---\n\nHello.\n"
    )
    preview = preview_module(folder)
    assert preview.title == "loose" and preview.id is None
    assert [p.code for p in preview.module_problems] == ["M1"]
    assert preview.item("a").item.html == "<p>Hello.</p>"


def test_extra_problems_are_merged(broken_quiz: Path) -> None:
    from kaptrain.content import Problem

    site = Problem("modules/broken/module.md", 3, "error", "M2", "id used twice")
    preview = preview_module(broken_quiz, extra_problems=[site])
    assert site in preview.module_problems
    assert site in preview.errors


def test_preview_output_is_sanitized(tmp_path: Path) -> None:
    folder = tmp_path / "modules" / "m"
    shutil.copytree(COMPLETE, folder)
    lesson = folder / "02-microaggressions.md"
    lesson.write_text(
        lesson.read_text() + "\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n"
    )
    preview = preview_module(folder)
    html = preview.item("microaggressions").item.html
    assert "<script" not in html
    assert "javascript:" not in html
    assert {"B4", "L5"} <= {p.code for p in preview.item("microaggressions").problems}


def test_neighbours_are_the_items_before_and_after() -> None:
    preview = preview_module(COMPLETE, display="content/complete-module")
    first, second, last = preview.items[0], preview.items[1], preview.items[-1]
    assert preview.neighbours(first) == (None, second)
    assert preview.neighbours(second) == (first, preview.items[2])
    assert preview.neighbours(last) == (preview.items[-2], None)
