"""Lesson pages: content note first, the lesson, and "Mark as complete"."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import ItemProgress
from tests.support.learn import MODULE_ID

pytestmark = pytest.mark.content("complete-module")

LESSON = f"/modules/{MODULE_ID}/defining-racial-trauma"
SECOND = f"/modules/{MODULE_ID}/microaggressions"


def _rows(app: Any) -> list[ItemProgress]:
    with app.app_context():
        rows = list(db.session.execute(select(ItemProgress)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def test_content_note_comes_before_the_material(client: Any, trainee: Any) -> None:
    page = client.get(LESSON).get_data(as_text=True)
    assert "Quotes first-person accounts of racist encounters." in page
    assert "An injury, not a disorder" not in page
    assert f'href="{LESSON}?note=seen"' in page
    assert f'href="{SECOND}"' in page  # skip ahead
    assert 'href="/support"' in page


def test_lesson_page_after_the_note(client: Any, trainee: Any) -> None:
    page = client.get(f"{LESSON}?note=seen").get_data(as_text=True)
    assert page.count("<h1>") == 1
    assert "About 20 minutes" in page
    assert 'class="toc"' in page and 'href="#an-injury-not-a-disorder"' in page
    assert "An injury, not a disorder" in page
    assert 'id="ref-carter-2007"' in page
    assert "Mark as complete" in page
    assert f'href="{SECOND}"' in page  # next
    assert f'href="/modules/{MODULE_ID}"' in page


def test_lesson_without_a_note_shows_at_once_with_previous(
    client: Any, trainee: Any
) -> None:
    page = client.get(SECOND).get_data(as_text=True)
    assert "Everyday slights" in page
    assert f'href="{LESSON}"' in page  # previous


def test_reading_a_lesson_writes_nothing(app: Any, client: Any, trainee: Any) -> None:
    client.get(f"{LESSON}?note=seen")
    assert _rows(app) == []


def test_mark_as_complete_records_the_content_version(
    app: Any, client: Any, trainee: Any
) -> None:
    response = client.post(f"{LESSON}/complete")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(SECOND)
    [row] = _rows(app)
    assert (row.user_id, row.item_id, row.status) == (
        trainee.id,
        "defining-racial-trauma",
        "done",
    )
    assert row.module_version == "1.0.0"
    assert len(row.content_hash) == 64
    assert row.completed_at is not None


def test_marking_twice_keeps_one_row(app: Any, client: Any, trainee: Any) -> None:
    client.post(f"{LESSON}/complete")
    client.post(f"{LESSON}/complete")
    assert len(_rows(app)) == 1


def test_done_lesson_skips_the_note_and_says_done(client: Any, trainee: Any) -> None:
    client.post(f"{LESSON}/complete")
    page = client.get(LESSON).get_data(as_text=True)
    assert "An injury, not a disorder" in page
    assert "You marked this lesson as complete." in page
    assert "Mark as complete</button>" not in page


def test_complete_only_applies_to_lessons(client: Any, trainee: Any) -> None:
    assert client.post(f"/modules/{MODULE_ID}/post-test/complete").status_code == 404


def test_mark_as_complete_is_not_a_get(client: Any, trainee: Any) -> None:
    assert client.get(f"{LESSON}/complete").status_code == 405
