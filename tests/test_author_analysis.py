"""Authors' item analysis: figures match a hand computation, and no one is named."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kaptrain.extensions import db
from kaptrain.models import User
from tests.test_supervise_support import T0, add_attempt

pytestmark = pytest.mark.content("complete-module")
URL = "/author/analysis/complete-module"

# Five trainees; 1 = correct. The other three items are right for everyone.
#          rbts-injury  micro-kinds  opening-steps   total (of the varying three)
#   u1         1            1             1            3
#   u2         1            1             0            2
#   u3         1            0             0            1
#   u4         0            0             0            0
#   u5         1            0             1            2
PATTERNS = [(1, 1, 1), (1, 1, 0), (1, 0, 0), (0, 0, 0), (1, 0, 1)]
ITEMS = ("rbts-injury", "micro-kinds", "opening-steps")


@pytest.fixture
def trainees(app: Flask, make_user: Callable[..., User]) -> list[User]:
    users = [make_user(name=f"Hidden Name {n}") for n in range(5)]
    with app.app_context():
        for user, pattern in zip(users, PATTERNS, strict=True):
            add_attempt(
                user.id, "post", 1, dict(zip(ITEMS, map(bool, pattern), strict=True))
            )
        db.session.commit()
    return users


@pytest.fixture
def author(make_user: Callable[..., User], login: Callable[..., Any]) -> User:
    user = make_user("author")
    login(user)
    return user


def _page(client: FlaskClient, query: str = "") -> str:
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _row(html: str, stem_start: str) -> str:
    table = html.split('class="numeric item-table"', 1)[1].split("</table>", 1)[0]
    return next(row for row in table.split("<tr") if stem_start in row)


def test_figures_match_hand_computation(
    client: FlaskClient, trainees: list[User], author: User
) -> None:
    html = _page(client)
    # Facility: 4/5, 2/5, 2/5. Discrimination against the rest score (constant
    # items add a constant, which leaves r unchanged): sqrt(2/7) = 0.53 and
    # sqrt(3/28) = 0.33 (worked in tests/test_analytics.py).
    assert "<td>5</td>\n    <td>0.80</td>\n    <td>0.53</td>" in _row(html, "Carter")
    assert "<td>0.40</td>\n    <td>0.33</td>" in _row(html, "microaggression")
    assert "<td>0.40</td>\n    <td>0.33</td>" in _row(html, "first session")
    # KR-20 over six items: the three constant items add no p*q and no variance:
    # 6/5 * (1 - 0.64/1.04) = 6/13 = 0.46.
    assert "<dt>Reliability (KR-20)</dt><dd>0.46</dd>" in html
    # Mean score: totals 6,5,4,3,5 of 6 -> 23/30 = 76.7%.
    assert "<dt>Mean score</dt><dd>77%</dd>" in html


def test_constant_items_are_flagged_very_easy(
    client: FlaskClient, trainees: list[User], author: User
) -> None:
    row = _row(_page(client), "Which framing keeps the focus")
    assert "<td>1.00</td>" in row and "not defined" in row
    assert "Check: very easy (facility above 0.95)" in row


def test_option_frequencies(
    client: FlaskClient, trainees: list[User], author: User
) -> None:
    html = _page(client)
    section = html.split('id="item-rbts-injury"', 1)[1].split("</section>", 1)[0]
    # Four chose b (correct), one chose a.
    assert "<td>4</td>\n      <td>80%</td>" in section
    assert "<td>1</td>\n      <td>20%</td>" in section
    assert "<td>0</td>\n      <td>0%</td>" in section


def test_unstable_warning_below_twenty(
    client: FlaskClient, trainees: list[User], author: User
) -> None:
    assert "only 5 people answered (fewer than 20)" in _page(client)


def test_no_names_emails_or_individual_answers(
    client: FlaskClient, trainees: list[User], author: User
) -> None:
    for query in ("", "?attempts=all"):
        html = _page(client, query)
        assert "Hidden Name" not in html
        assert all(user.email not in html for user in trainees)
    index = client.get("/author/analysis").get_data(as_text=True)
    assert "Hidden Name" not in index and "5 attempts" in index


def test_first_versus_all_attempts(
    app: Flask, client: FlaskClient, trainees: list[User], author: User
) -> None:
    with app.app_context():
        add_attempt(trainees[3].id, "post", 2, {}, at=T0 + dt.timedelta(days=1))
        db.session.commit()
    assert "<dt>Attempts analysed</dt><dd>5 (5 people)</dd>" in _page(client)
    html = _page(client, "?attempts=all")
    assert "<dt>Attempts analysed</dt><dd>6 (5 people)</dd>" in html
    html = _page(client, "?attempts=bogus")
    assert "Showing first attempts only" in html


def test_versions_are_analysed_separately(
    app: Flask, client: FlaskClient, trainees: list[User], author: User
) -> None:
    with app.app_context():
        add_attempt(
            trainees[0].id,
            "post",
            2,
            {},
            at=T0 - dt.timedelta(days=30),
            module_version="0.9.0",
            content_hash="0" * 64,
        )
        db.session.commit()
    html = _page(client)
    assert "0.9.0 (00000000): 1 attempt</option>" in html
    assert "<dt>Attempts analysed</dt><dd>5 (5 people)</dd>" in html
    old = _page(client, "?version=0.9.0:000000000000&attempts=all")
    assert "<dt>Attempts analysed</dt><dd>1 (1 person)</dd>" in old
    assert "not the one published now" in old
    unknown = _page(client, "?version=nope")
    assert "That content version has no post-test attempts here" in unknown


def test_page_without_attempts(client: FlaskClient, author: User) -> None:
    assert "No submitted post-test attempts" in _page(client)
