"""Who may open every supervisor and author route (the access matrix)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import test_supervise_support as support
from tests.test_supervise_support import SECRET, World

pytestmark = pytest.mark.content("complete-module")
world = support.world

MODULE = "complete-module"


def _routes(w: World, invitation: int) -> list[tuple[str, str, dict[str, Any]]]:
    a, t, e = w.cohort.id, w.trainee.id, w.shared_entry_id
    return [
        ("GET", f"/supervise/cohorts/{a}", {}),
        ("GET", f"/supervise/cohorts/{a}/members", {}),
        ("GET", f"/supervise/cohorts/{a}/gain", {}),
        ("GET", f"/supervise/cohorts/{a}/export/progress.csv", {}),
        ("GET", f"/supervise/cohorts/{a}/export/attempts.csv", {}),
        ("GET", f"/supervise/trainees/{t}", {}),
        ("GET", f"/supervise/trainees/{t}/modules/{MODULE}", {}),
        ("GET", f"/supervise/modules/{MODULE}/analysis?cohort={a}", {}),
        ("POST", f"/supervise/cohorts/{a}/members", {"email": w.outsider.email}),
        ("POST", f"/supervise/cohorts/{a}/members/{w.peer.id}/remove", {}),
        ("POST", f"/supervise/cohorts/{a}/name", {"name": "Renamed"}),
        ("POST", f"/supervise/cohorts/{a}/invite", {}),
        (
            "POST",
            f"/supervise/trainees/{t}/entries/{e}/comments",
            {f"entry-{e}-body": "Thank you."},
        ),
        # Issue 13 removed the supervisors' reset link and added invitations.
        ("POST", f"/supervise/cohorts/{a}/invitations/{invitation}/withdraw", {}),
    ]


def _invitation(app: Flask, w: World) -> int:
    """A pending invitation to the supervised cohort (for the withdraw route)."""
    from kaptrain.extensions import db
    from kaptrain.models import CohortInvitation

    with app.app_context():
        row = CohortInvitation(cohort_id=w.cohort.id, email="invited@example.org")
        db.session.add(row)
        db.session.commit()
        return row.id


ROUTE_COUNT = 14
OK = {"GET": 200, "POST": (200, 302)}


def _call(client: FlaskClient, method: str, url: str, data: dict[str, Any]) -> Any:
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=data)
    # Read and close streamed bodies (CSV) as a server would, ending their context.
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("trainee", 403),
        ("peer", 403),
        ("author", 403),
        ("other_supervisor", 404),
        ("supervisor", "ok"),
        ("admin", "ok"),
    ],
)
def test_route_matrix(
    app: Flask,
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    who: str,
    expected: int | str,
) -> None:
    """Every route for one role (GETs first, so POSTs cannot hide a GET leak)."""
    if who != "anonymous":
        login(getattr(world, who))
    wrong = []
    for method, url, data in _routes(world, _invitation(app, world)):
        response = _call(client, method, url, data)
        allowed = (200,) if method == "GET" else (200, 302)
        ok = (
            response.status_code in allowed
            if expected == "ok"
            else (response.status_code == expected)
        )
        if expected == 302:
            ok = ok and "/login" in response.headers["Location"]
        if expected != "ok":
            ok = ok and SECRET.encode() not in response.data
            ok = ok and world.trainee.email.encode() not in response.data
        if not ok:
            wrong.append(f"{method} {url} -> {response.status_code}")
    assert not wrong, wrong


def test_matrix_covers_every_supervise_route(app: Flask, world: World) -> None:
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("supervise.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    # The cohort list and cohort creation are open to every supervisor; they are
    # checked in test_cohort_list_*; everything else is in the matrix.
    assert len(rules) == ROUTE_COUNT + 3  # + /, /cohorts GET and POST


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("trainee", 403), ("author", 403), ("supervisor", 200)],
)
def test_cohort_list_access(
    client: FlaskClient, login: Callable[..., Any], world: World, who: str, status: int
) -> None:
    if who != "anonymous":
        login(getattr(world, who))
    assert client.get("/supervise/cohorts").status_code == status


def test_cohort_list_shows_only_own_cohorts(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.other_supervisor)
    html = client.get("/supervise/").get_data(as_text=True)
    assert "Autumn cohort" in html
    assert "Spring cohort" not in html


@pytest.mark.parametrize(
    ("who", "attempts"),
    [("other_supervisor", "1 (1 person)"), ("admin", "2 (2 people)")],
)
def test_analysis_without_cohort_counts_only_visible_trainees(
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    who: str,
    attempts: str,
) -> None:
    # Two seeded trainees have one graded post-test each; the other supervisor
    # sees only the one in their cohort, an admin both.
    login(getattr(world, who))
    html = client.get(f"/supervise/modules/{MODULE}/analysis").get_data(as_text=True)
    assert f"<dt>Attempts analysed</dt><dd>{attempts}</dd>" in html


@pytest.mark.parametrize("url", ["/author/analysis", f"/author/analysis/{MODULE}"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("trainee", 403),
        ("supervisor", 403),
        ("author", 200),
        ("admin", 200),
    ],
)
def test_author_analysis_access(
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    url: str,
    who: str,
    status: int,
) -> None:
    if who != "anonymous":
        login(getattr(world, who))
    assert client.get(url).status_code == status


@pytest.mark.parametrize(
    "url",
    [
        "/supervise/cohorts/999999",
        "/supervise/trainees/999999",
        "/supervise/trainees/{t}/modules/no-such-module",
        "/supervise/modules/no-such-module/analysis",
        f"/supervise/modules/{MODULE}/analysis?cohort=abc",
        f"/supervise/modules/{MODULE}/analysis?cohort=999999",
    ],
)
def test_unknown_ids_are_404(
    client: FlaskClient, login: Callable[..., Any], world: World, url: str
) -> None:
    login(world.supervisor)
    assert client.get(url.format(t=world.trainee.id)).status_code == 404


def test_other_supervisors_analysis_of_foreign_cohort_is_404(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.other_supervisor)
    url = f"/supervise/modules/{MODULE}/analysis?cohort={world.cohort.id}"
    assert client.get(url).status_code == 404
