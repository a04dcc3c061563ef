"""Content health page and module previews for authors."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.test_catalog_app import make_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path, broken="q3-single-two-correct")


@pytest.fixture
def app_config(tree: Path) -> dict[str, Any]:
    return {"MODULES_DIR": tree, "CONTENT_CACHE_DIR": None}


@pytest.fixture
def author(client, make_user, login):  # type: ignore[no-untyped-def]
    login(make_user("author"))
    return client


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page's visible text, tags removed and whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(body))


def health_section(page: str, name: str) -> str:
    start = page.index(f'id="module-{name}"')
    end = page.find("<section", start + 1)
    return page[start : end if end != -1 else None]


def test_health_lists_served_and_broken_modules_with_problems(author) -> None:
    response = author.get("/author/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = text_of(response)
    assert "Served 2 modules" in text
    assert "Left out 1 module with errors" in text
    broken = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", health_section(page, "broken-module"))
    )
    assert "Left out with 2 errors" in broken
    assert "modules/broken-module/quiz.md:7" in broken
    assert "Error Q3" in broken
    assert "modules/broken-module/module.md:11" in broken
    assert "Error M11" in broken
    assert "Warning M12" in broken
    served = health_section(page, "complete-module")
    # complete-module claims 60 minutes for about 28 (issue 17: honest CE hours).
    assert "Served" in served and "Warning M15" in served


def test_health_counts(author) -> None:
    page = author.get("/author/").get_data(as_text=True)
    row = re.search(
        r'<tr>\s*<th scope="row">\s*<a href="#module-complete-module">.*?</tr>',
        page,
        re.S,
    )
    assert row
    cells = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    ]
    assert cells[1:] == [
        "2",  # lessons
        "60 (60)",  # minutes (ce_hours x 60)
        "6",  # questions
        "6.0",  # per CE hour
        "A first session after a workplace incident (6 nodes)",
    ]


def test_health_shows_catalog_version_and_build(app: Flask, author) -> None:
    text = text_of(author.get("/author/"))
    state = app.extensions["kaptrain"]
    assert state.catalog.version[:12] in text
    assert state.built_at.strftime("%Y-%m-%d %H:%M:%S") in text


def test_health_is_in_the_navigation_for_authors(author) -> None:
    page = author.get("/author/").get_data(as_text=True)
    assert 'href="/author/" aria-current="page"' in page


@pytest.mark.parametrize("role", ["trainee", "supervisor"])
@pytest.mark.parametrize(
    "url",
    [
        "/author/",
        "/author/preview/broken-module",
        "/author/preview/complete-module/post-test",
        "/author/preview/complete-module/media/model.png",
    ],
)
def test_other_roles_are_refused(client, make_user, login, role: str, url: str) -> None:
    login(make_user(role))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "url", ["/author/", "/author/preview/complete-module/post-test"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admins_pass(client, make_user, login) -> None:
    login(make_user("admin"))
    response = client.get("/author/")
    assert response.status_code == 200
    assert "<h1>Content health</h1>" in response.get_data(as_text=True)


def test_preview_of_a_broken_module_shows_errors_beside_items(author) -> None:
    response = author.get("/author/preview/broken-module")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Module-level problems at the top, before the learning path.
    top = page.index("Problems in the module")
    assert top < page.index("Learning path")
    assert page.index("modules/broken-module/module.md:11") < page.index(
        "Learning path"
    )
    # The quiz's Q3 sits inside the quiz's entry of the path.
    entry = re.search(r'<li class="card">.*?</li>\s*</ul>\s*</li>', page, re.S)
    assert entry and "quiz.md" in entry.group(0)
    assert "modules/broken-module/quiz.md:7" in entry.group(0)
    assert "Error Q3" in text_of(response)


def test_preview_of_a_broken_item_renders_it_with_its_errors(author) -> None:
    response = author.get("/author/preview/broken-module/post-test")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    article, aside = page.split('<aside class="preview-problems"', 1)
    assert "<p>Stem.</p>" in article
    assert "rbts-injury" in article
    assert "modules/broken-module/quiz.md:7" in aside
    assert "Q3" in aside
    assert "trainees never see answers before submitting" in page
    assert "Correct" in article


def test_preview_of_a_valid_lesson_matches_the_served_html(app: Flask, author) -> None:
    page = author.get("/author/preview/complete-module/defining-racial-trauma")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "An injury, not a disorder" in body
    assert "/author/preview/complete-module/media/model.png" in body
    assert "None." in body.split('<aside class="preview-problems"', 1)[1]


def test_preview_media_is_served_only_from_media(author) -> None:
    assert (
        author.get("/author/preview/complete-module/media/model.png").status_code == 200
    )
    for url in (
        "/author/preview/complete-module/media/../module.md",
        "/author/preview/complete-module/media/%2e%2e/module.md",
        "/author/preview/complete-module/media/nope.png",
    ):
        assert author.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "url",
    [
        "/author/preview/no-such-module",
        "/author/preview/no-such-module/post-test",
        "/author/preview/complete-module/no-such-item",
        "/author/preview/..",
        "/author/preview/.hidden",
    ],
)
def test_unknown_preview_is_404(author, url: str) -> None:
    assert author.get(url).status_code == 404


def test_preview_is_rendered_once_per_folder_version(
    app: Flask, author, tree: Path
) -> None:
    url = "/author/preview/broken-module/post-test"
    author.get(url)
    cache = app.extensions["kaptrain_previews"]
    builds = cache.builds
    for _ in range(3):
        assert author.get(url).status_code == 200
    assert cache.builds == builds
    quiz = tree / "broken-module" / "quiz.md"
    quiz.write_text(quiz.read_text().replace("Stem.", "A new stem."))
    assert "A new stem." in author.get(url).get_data(as_text=True)
    assert cache.builds == builds + 1


def test_preview_output_is_sanitized(author, tree: Path) -> None:
    lesson = tree / "complete-module" / "02-microaggressions.md"
    lesson.write_text(
        lesson.read_text()
        + "\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n"
        + '<img src=x onerror="alert(3)">\n'
    )
    response = author.get("/author/preview/complete-module/microaggressions")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    article, aside = page.split('<aside class="preview-problems"', 1)
    assert "<script>alert" not in page
    assert "javascript:" not in article
    # Raw HTML is escaped as text, never a tag with a handler.
    assert not re.search(r"<[a-z][^>]*onerror", page)
    assert "&lt;img src=x" in article
    # ... and the author is told why, beside the lesson.
    assert "B4" in aside and "L5" in aside


def test_health_shows_post_test_reference_and_hour_figures(author) -> None:
    page = author.get("/author/").get_data(as_text=True)
    row = re.search(r'<tr id="figures-complete-module">.*?</tr>', page, re.S)
    assert row
    cells = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    ]
    assert cells == [
        "6",  # post-test items
        "3 of 6 (50%)",  # application level
        "0 of 3 single-choice (0%)",  # keyed option longest
        "2 of 2",  # objectives assessed
        "2 of 2",  # references with title
        "2 of 2",  # with DOI or URL
        "28 (60)",  # estimated minutes (claimed)
    ]
    broken = re.search(r'<tr id="figures-broken-module">.*?</tr>', page, re.S)
    assert broken and "1 of 1" not in broken.group(0)
    assert "238 words per minute" in re.sub(r"\s+", " ", page)


def test_quiz_preview_shows_each_questions_level_and_objectives(author) -> None:
    page = text_of(author.get("/author/preview/complete-module/post-test"))
    assert "Question rbts-injury (single) Level: apply · Objectives assessed: 1" in page
    assert "Question micro-kinds (multiple) Level: recall · Objectives assessed: 2" in (
        page
    )
    assert "Wait between attempts 10 minutes" in page


def test_preview_item_links_to_the_items_before_and_after(author) -> None:
    page = author.get("/author/preview/complete-module/post-test").get_data(
        as_text=True
    )
    nav = page.split('class="prev-next">', 1)[1].split("</nav>", 1)[0]
    assert "Previous" in nav
    assert "/author/preview/complete-module/" in nav
