"""A lesson's article is rendered once per content version and shared by every
trainee; its done state and a content change each give a fresh render, and the
per-person parts of the page are never shared."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from kaptrain.learning.course import content_state
from kaptrain.web.learn.fragments import FragmentCache
from tests.support.learn import LESSONS, MODULE_ID
from tests.support.mfa import sign_in

pytestmark = pytest.mark.content("complete-module")

LESSON_URL = f"/modules/{MODULE_ID}/{LESSONS[0]}?note=seen"


def _signed_in(app: Flask, user: Any) -> Any:
    from tests.support.settings import PASSWORD

    client = app.test_client()
    response = sign_in(client, user, PASSWORD)
    assert response.status_code == 302
    return client


def _article(page: str) -> str:
    return page.split('<article class="lesson"')[1].split("</article>")[0]


def test_trainees_share_one_render_of_a_lesson(app: Flask, make_user: Any) -> None:
    first = _signed_in(app, make_user(name="Ada First"))
    second = _signed_in(app, make_user(name="Bo Second"))
    cache: FragmentCache = app.extensions["kaptrain_fragments"]
    page_one = first.get(LESSON_URL).get_data(as_text=True)
    renders = cache.renders
    page_two = second.get(LESSON_URL).get_data(as_text=True)
    assert cache.renders == renders  # the second trainee reused the article
    assert "Ada First" in page_one and "Ada First" not in page_two
    assert "Bo Second" in page_two
    assert _article(page_one) == _article(page_two)


def test_done_state_and_content_changes_render_afresh(
    app: Flask, make_user: Any, content_folder: dict[str, Any]
) -> None:
    client = _signed_in(app, make_user())
    assert "Not done yet" in client.get(LESSON_URL).get_data(as_text=True)
    client.post(f"/modules/{MODULE_ID}/{LESSONS[0]}/complete")
    page = client.get(LESSON_URL).get_data(as_text=True)
    assert "Not done yet" not in page and "You marked this lesson as complete" in page

    modules = content_folder["MODULES_DIR"]
    lesson_file = modules / MODULE_ID / "01-defining-racial-trauma.md"
    text = lesson_file.read_text(encoding="utf-8")
    lesson_file.write_text(
        text + "\n\nA sentence added after the first render.\n", encoding="utf-8"
    )
    with app.app_context():
        content_state().reload()
    page = client.get(LESSON_URL).get_data(as_text=True)
    assert "A sentence added after the first render." in page


def test_the_cache_is_bounded_by_size() -> None:
    cache = FragmentCache(max_bytes=100)
    for n in range(10):
        cache.get(("k", n), lambda n=n: "x" * 40 + str(n))
    assert len(cache) == 2
    assert cache.get(("k", 9), lambda: "fresh") == "x" * 40 + "9"  # kept
    assert cache.get(("k", 0), lambda: "fresh") == "fresh"  # dropped, rendered again
