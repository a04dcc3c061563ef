"""Catalog, module page, item dispatch, prerequisite locks, media and access."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.learn import (
    MODULE_ID,
    QUIZ_URL,
    SECOND_ID,
    finish_lessons,
)

pytestmark = pytest.mark.content("complete-module", second=True)


def test_catalog_lists_modules_in_order_with_their_facts(
    client: Any, trainee: Any
) -> None:
    page = client.get("/modules").get_data(as_text=True)
    first = page.index("Racial trauma: a complete example module")
    second = page.index("Second module: a complete example module")
    assert first < second
    assert "Every feature of the authoring format in one small module." in page
    assert "Describe race-based traumatic stress as an injury" in page
    assert "Introductory" in page
    assert "<dd>1.5</dd>" in page and "<dd>1</dd>" in page
    assert page.count("Not started") == 1  # the second module is locked instead


def test_catalog_says_which_module_unlocks_a_locked_one(
    client: Any, trainee: Any
) -> None:
    page = client.get("/modules").get_data(as_text=True)
    assert "Locked" in page
    assert "this module opens when you complete" in page
    assert f'href="/modules/{MODULE_ID}">“Racial trauma' in page


def test_catalog_shows_the_trainees_progress(client: Any, trainee: Any) -> None:
    finish_lessons(client)
    page = client.get("/modules").get_data(as_text=True)
    assert "In progress" in page
    assert "2 of 2" in page


def test_module_page_has_overview_objectives_note_path_and_references(
    client: Any, trainee: Any
) -> None:
    page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert "This module introduces race-based traumatic stress" in page
    assert "Identify microaggressions in a first session" in page
    assert "Describes racism, including a racist incident at work." in page
    assert 'href="/support"' in page
    for title in ("Defining racial trauma", "Microaggressions", "Course evaluation"):
        assert title in page
    assert 'id="ref-carter-2007"' in page
    assert "https://doi.org/10.1177/0011000006292033" in page


def test_module_page_marks_item_states(client: Any, trainee: Any) -> None:
    client.post(f"/modules/{MODULE_ID}/defining-racial-trauma/complete")
    client.post(f"/modules/{MODULE_ID}/first-session/runs")
    page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    path = page[page.index('class="learning-path"') :]
    lesson = path[path.index("Defining racial trauma") :]
    assert lesson.index("Done") < lesson.index("</li>")
    case = path[path.index("A first session") :]
    assert case.index("In progress") < case.index("</li>")
    lesson2 = path[path.index(">Microaggressions<") :]
    assert lesson2.index("Not started") < lesson2.index("</li>")


def test_module_page_offers_the_pretest_first(client: Any, trainee: Any) -> None:
    page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    assert "Start with the pre-test" in page
    assert "Skip the pre-test" in page


def test_continue_where_you_left_off_points_at_the_next_required_item(
    client: Any, trainee: Any
) -> None:
    client.post(f"{QUIZ_URL}/skip-pretest")
    client.post(f"/modules/{MODULE_ID}/defining-racial-trauma/complete")
    page = client.get(f"/modules/{MODULE_ID}").get_data(as_text=True)
    assert "Continue where you left off: Microaggressions" in page
    assert f'href="/modules/{MODULE_ID}/microaggressions"' in page


def test_locked_module_page_explains_what_unlocks_it(client: Any, trainee: Any) -> None:
    page = client.get(f"/modules/{SECOND_ID}").get_data(as_text=True)
    assert "This module is locked" in page
    assert "Racial trauma: a complete example module" in page
    path = page[page.index('class="learning-path"') :]
    assert f'href="/modules/{SECOND_ID}/defining-racial-trauma"' not in path


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "defining-racial-trauma"),
        ("get", "post-test"),
        ("post", "defining-racial-trauma/complete"),
        ("post", "post-test/start"),
        ("post", "first-session/runs"),
    ],
)
def test_items_of_a_locked_module_redirect_with_a_message(
    app: Any, client: Any, trainee: Any, method: str, path: str
) -> None:
    response = getattr(client, method)(f"/modules/{SECOND_ID}/{path}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/modules/{SECOND_ID}")
    page = client.get(f"/modules/{SECOND_ID}").get_data(as_text=True)
    assert "This module opens when you complete" in page
    from kaptrain.extensions import db
    from kaptrain.models import ItemProgress, QuizAttempt, VignetteRun

    with app.app_context():
        for model in (ItemProgress, QuizAttempt, VignetteRun):
            assert db.session.query(model).count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/modules/no-such-module",
        f"/modules/{MODULE_ID}/no-such-item",
        f"/modules/{MODULE_ID}/post-test/attempts/999",
        f"/modules/{MODULE_ID}/media/missing.png",
        f"/modules/{MODULE_ID}/media/../module.md",
        f"/modules/{MODULE_ID}/media/%2e%2e/module.md",
    ],
)
def test_unknown_ids_are_404(client: Any, trainee: Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_module_media_serves_listed_images(client: Any, trainee: Any) -> None:
    response = client.get(f"/modules/{MODULE_ID}/media/model.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"


def test_pages_need_a_trainee(client: Any, make_user: Any, login: Any) -> None:
    assert client.get("/modules").status_code == 302  # anonymous: to sign in
    login(make_user(role="author"))
    assert client.get("/modules").status_code == 403
    assert client.get("/progress").status_code == 403
    assert client.get("/journal").status_code == 403


def test_admins_may_use_trainee_pages(client: Any, make_user: Any, login: Any) -> None:
    login(make_user(role="admin"))
    response = client.get("/modules")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Modules</h1>" in page
    assert f'href="/modules/{MODULE_ID}"' in page
