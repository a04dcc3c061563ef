"""The course evaluation: ratings required, comments optional, stored once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import COMMENT_MAX, EvaluationResponse
from tests.support.learn import EVALUATION_URL, submit_evaluation

pytestmark = pytest.mark.content("complete-module")


def _responses(app: Any) -> list[EvaluationResponse]:
    with app.app_context():
        rows = list(db.session.execute(select(EvaluationResponse)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def test_form_lists_ratings_and_comments(client: Any, trainee: Any) -> None:
    page = client.get(EVALUATION_URL).get_data(as_text=True)
    assert "The objectives were met." in page
    assert "The content was relevant to my practice." in page
    assert "What would you change about this module?" in page
    assert page.count('type="radio"') == 10


def test_submission_stores_ratings_and_comments(
    app: Any, client: Any, trainee: Any
) -> None:
    response = client.post(
        f"{EVALUATION_URL}/evaluation",
        data={
            "rating-objectives-met": "5",
            "rating-relevant": "3",
            "comment-improve": "More <cases>\nplease",
        },
    )
    assert response.status_code == 302
    [row] = _responses(app)
    assert row.ratings == {"objectives-met": 5, "relevant": 3}
    assert row.comments == {"improve": "More <cases>\nplease"}
    assert row.module_version == "1.0.0"
    page = client.get(EVALUATION_URL).get_data(as_text=True)
    assert "You submitted this evaluation" in page
    assert '<p class="usertext">More &lt;cases&gt;\nplease</p>' in page


def test_missing_rating_is_refused_and_input_kept(
    app: Any, client: Any, trainee: Any
) -> None:
    response = client.post(
        f"{EVALUATION_URL}/evaluation",
        data={"rating-objectives-met": "4", "comment-improve": "keep me"},
    )
    page = response.get_data(as_text=True)
    assert "Choose a rating from 1 to 5 for “The content was relevant" in page
    assert 'value="4" checked' in page
    assert "keep me</textarea>" in page
    assert _responses(app) == []


@pytest.mark.parametrize("value", ["0", "6", "x", "3.5"])
def test_out_of_range_rating_is_refused(
    app: Any, client: Any, trainee: Any, value: str
) -> None:
    client.post(
        f"{EVALUATION_URL}/evaluation",
        data={"rating-objectives-met": value, "rating-relevant": "3"},
    )
    assert _responses(app) == []


def test_too_long_comment_is_refused(app: Any, client: Any, trainee: Any) -> None:
    page = client.post(
        f"{EVALUATION_URL}/evaluation",
        data={
            "rating-objectives-met": "4",
            "rating-relevant": "4",
            "comment-improve": "z" * (COMMENT_MAX + 1),
        },
    ).get_data(as_text=True)
    assert "Shorten this comment to 2,000 characters" in page
    assert _responses(app) == []


def test_second_submission_keeps_the_first(app: Any, client: Any, trainee: Any) -> None:
    submit_evaluation(client)
    client.post(
        f"{EVALUATION_URL}/evaluation",
        data={"rating-objectives-met": "1", "rating-relevant": "1"},
    )
    [row] = _responses(app)
    assert row.ratings == {"objectives-met": 5, "relevant": 4}
