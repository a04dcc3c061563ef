"""Pages with several forms or timestamps are valid HTML: no id appears twice
(each CSRF field used to carry id="csrf_token") and every ``<time datetime>``
has at most milliseconds. The browser journeys run the full Nu HTML Checker;
these checks run in every test pass without Java."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from kaptrain.models import User

# HTML's valid global date and time string: seconds may have 1-3 fraction digits.
MACHINE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$"
)


def _problems(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    out = [f'id "{i}" appears {n} times' for i, n in ids.items() if n > 1]
    for tag in soup.find_all("time"):
        value = tag.get("datetime", "")
        if value and not MACHINE_TIME.match(value):
            out.append(f"<time datetime={value!r}> is not a valid date and time")
    return out


@pytest.fixture
def admin_pages(
    client: FlaskClient,
    make_user: Callable[..., User],
    make_cohort: Callable[..., Any],
    login: Callable[..., Any],
) -> list[str]:
    admin = make_user(("admin", "supervisor"))
    cohort = make_cohort(supervisors=[admin])
    trainee = make_user(cohort=cohort)
    login(admin)  # leaves audit events with microsecond timestamps
    return [
        "/admin/users",
        f"/admin/users/{trainee.id}",
        "/admin/audit",
        f"/supervise/cohorts/{cohort.id}/members",
    ]


def test_staff_pages_have_unique_ids_and_valid_times(
    client: FlaskClient, admin_pages: list[str]
) -> None:
    for path in admin_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert _problems(response.get_data(as_text=True)) == [], path


def test_the_check_finds_both_faults() -> None:
    bad = (
        '<input id="csrf_token"><input id="csrf_token">'
        '<time datetime="2026-12-04T15:48:22.794524+00:00">now</time>'
    )
    assert len(_problems(bad)) == 2
