"""Cohort management: create, rename, invite code, members in and out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, Cohort, CohortMember
from tests import test_supervise_support as support
from tests.test_supervise_support import World

app_config = support.app_config
world = support.world


def _members(app: Flask, cohort_id: int) -> set[int]:
    with app.app_context():
        return set(
            db.session.execute(
                select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)
            ).scalars()
        )


def _cohort(app: Flask, cohort_id: int) -> Cohort:
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assert cohort is not None
        db.session.expunge(cohort)
        return cohort


def test_create_cohort_makes_creator_supervisor(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.other_supervisor)
    response = client.post("/supervise/cohorts", data={"name": "  Winter   group "})
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.execute(
            select(Cohort).where(Cohort.name == "Winter group")
        ).scalar_one()
        assert [u.id for u in cohort.supervisors] == [world.other_supervisor.id]
        assert len(cohort.invite_code) == 14
    html = client.get("/supervise/cohorts").get_data(as_text=True)
    assert "Winter group" in html


def test_create_cohort_without_name_explains(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    response = client.post("/supervise/cohorts", data={"name": "   "})
    assert response.status_code == 400
    assert "Enter a name for the cohort." in response.get_data(as_text=True)


def test_rename(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    url = f"/supervise/cohorts/{world.cohort.id}/name"
    assert client.post(url, data={"name": "Summer cohort"}).status_code == 302
    assert _cohort(app, world.cohort.id).name == "Summer cohort"


def test_rename_too_long_keeps_text(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    long = "L" * 121
    response = client.post(
        f"/supervise/cohorts/{world.cohort.id}/name", data={"name": long}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Use at most 120 characters." in html
    assert long in html


def test_regenerate_invite_code(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    before = _cohort(app, world.cohort.id).invite_code
    client.post(f"/supervise/cohorts/{world.cohort.id}/invite")
    after = _cohort(app, world.cohort.id).invite_code
    assert after != before
    html = client.get(f"/supervise/cohorts/{world.cohort.id}/members").get_data(
        as_text=True
    )
    assert after in html and before not in html


def test_add_member_by_email(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    response = client.post(
        f"/supervise/cohorts/{world.cohort.id}/members",
        data={"email": world.outsider.email.upper()},
    )
    assert response.status_code == 302
    assert world.outsider.id in _members(app, world.cohort.id)
    # Now visible: the supervisor may open the trainee's page.
    assert client.get(f"/supervise/trainees/{world.outsider.id}").status_code == 200


def test_add_unknown_email_explains_and_keeps_text(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    response = client.post(
        f"/supervise/cohorts/{world.cohort.id}/members",
        data={"email": "nobody@example.org"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "No account uses nobody@example.org" in html
    assert 'value="nobody@example.org"' in html


def test_add_existing_member_says_so(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    response = client.post(
        f"/supervise/cohorts/{world.cohort.id}/members",
        data={"email": world.trainee.email},
    )
    assert response.status_code == 400
    assert "already in this cohort" in response.get_data(as_text=True)
    assert len(_members(app, world.cohort.id)) == 2


@pytest.mark.parametrize("who", ["author", "admin", "other_supervisor"])
def test_only_trainee_accounts_can_be_added(
    app: Flask,
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    who: str,
) -> None:
    login(world.supervisor)
    response = client.post(
        f"/supervise/cohorts/{world.cohort.id}/members",
        data={"email": getattr(world, who).email},
    )
    assert response.status_code == 400
    assert "is not a trainee account" in response.get_data(as_text=True)
    assert getattr(world, who).id not in _members(app, world.cohort.id)


def test_remove_member_keeps_records_and_hides_trainee(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    url = f"/supervise/cohorts/{world.cohort.id}/members/{world.trainee.id}/remove"
    assert client.post(url).status_code == 302
    assert world.trainee.id not in _members(app, world.cohort.id)
    assert client.get(f"/supervise/trainees/{world.trainee.id}").status_code == 404


def test_remove_non_member_is_404(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    url = f"/supervise/cohorts/{world.cohort.id}/members/{world.outsider.id}/remove"
    assert client.post(url).status_code == 404


def test_members_page_shows_last_activity(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = client.get(f"/supervise/cohorts/{world.cohort.id}/members").get_data(
        as_text=True
    )
    assert "Tara Trainee" in html and "Pat Peer" in html
    # Tara's last record is the certificate, 2025-03-02 11:00 UTC; Pat has none.
    assert "2025-03-02 11:00 UTC" in html
    assert "No activity yet" in html


def test_changes_are_audited(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    client.post(f"/supervise/cohorts/{world.cohort.id}/invite")
    client.post(
        f"/supervise/cohorts/{world.cohort.id}/members",
        data={"email": world.outsider.email},
    )
    with app.app_context():
        details = (
            db.session.execute(
                select(AuditEvent.detail).where(AuditEvent.action == "cohort_changed")
            )
            .scalars()
            .all()
        )
    assert f"new invite code cohort={world.cohort.id}" in details
    assert f"added to cohort={world.cohort.id}" in details


def test_csrf_required_on_cohort_posts(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    app.config["WTF_CSRF_ENABLED"] = True
    before = _cohort(app, world.cohort.id).invite_code
    response = client.post(f"/supervise/cohorts/{world.cohort.id}/invite")
    assert response.status_code == 400
    assert _cohort(app, world.cohort.id).invite_code == before
