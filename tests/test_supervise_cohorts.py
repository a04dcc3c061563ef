"""Cohort management: create, rename, invite code, members in and out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, Cohort, CohortInvitation, CohortMember
from tests import test_supervise_support as support
from tests.support.mfa import sign_in
from tests.support.settings import PASSWORD
from tests.test_supervise_support import World

pytestmark = pytest.mark.content("complete-module")
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


def _invitations(app: Flask, cohort_id: int) -> dict[str, str]:
    with app.app_context():
        return dict(
            db.session.execute(
                select(CohortInvitation.email, CohortInvitation.status).where(
                    CohortInvitation.cohort_id == cohort_id
                )
            ).all()
        )


# Issue 13 changed adding a member: it is an invitation the trainee accepts.
def test_add_member_by_email_invites_and_the_trainee_joins_by_accepting(
    app: Flask,
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    mailbox: Any,
) -> None:
    login(world.supervisor)
    response = client.post(
        f"/supervise/cohorts/{world.cohort.id}/members",
        data={"email": world.outsider.email.upper()},
        follow_redirects=True,
    )
    assert f"Invitation sent to {world.outsider.email}" in response.get_data(
        as_text=True
    )
    assert world.outsider.id not in _members(app, world.cohort.id)
    # Not yet visible: nothing of theirs until they accept.
    assert client.get(f"/supervise/trainees/{world.outsider.id}").status_code == 404
    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == world.outsider.email
    assert "Sam Supervisor invited you" in mail["Subject"]

    trainee = app.test_client()
    trainee.post("/login", data={"email": world.outsider.email, "password": PASSWORD})
    home = trainee.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Cohort invitations" in home and world.cohort.name in home
    with app.app_context():
        invitation_id = db.session.execute(
            select(CohortInvitation.id).where(
                CohortInvitation.email == world.outsider.email
            )
        ).scalar_one()
    accept = f"/account/invitations/{invitation_id}/accept"
    assert trainee.post(accept).status_code == 302
    assert trainee.post(accept).status_code == 404  # answered once
    assert world.outsider.id in _members(app, world.cohort.id)
    # Now visible: the supervisor may open the trainee's page.
    assert client.get(f"/supervise/trainees/{world.outsider.id}").status_code == 200


@pytest.mark.parametrize(
    "who", ["outsider", "nobody", "author", "admin", "other_supervisor"]
)
def test_add_member_answers_the_same_for_every_address(
    app: Flask,
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    who: str,
) -> None:
    """Issue 13 (account enumeration): unknown addresses and staff accounts get
    the answer a trainee's address gets; only trainees can ever join."""
    email = "nobody@example.org" if who == "nobody" else getattr(world, who).email
    login(world.supervisor)
    response = client.post(
        f"/supervise/cohorts/{world.cohort.id}/members",
        data={"email": email},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    answer = (
        f"Invitation sent to {email}. They join {world.cohort.name} when they "
        "accept it; until then you see nothing of theirs."
    )
    assert answer in html.replace("&#39;", "'")
    assert "not a trainee" not in html and "No account" not in html
    assert _invitations(app, world.cohort.id) == {email: "pending"}
    listed = html[html.index("Invitations waiting") :]
    assert email in listed
    if who != "nobody":
        assert getattr(world, who).id not in _members(app, world.cohort.id)


@pytest.mark.parametrize("who", ["author", "other_supervisor"])
def test_staff_cannot_accept_an_invitation(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World, who: str
) -> None:
    login(world.supervisor)
    client.post(
        f"/supervise/cohorts/{world.cohort.id}/members",
        data={"email": getattr(world, who).email},
    )
    with app.app_context():
        invitation_id = db.session.execute(select(CohortInvitation.id)).scalar_one()
    staff = app.test_client()
    sign_in(staff, getattr(world, who), PASSWORD)
    assert staff.post(f"/account/invitations/{invitation_id}/accept").status_code == 404
    assert getattr(world, who).id not in _members(app, world.cohort.id)


@pytest.mark.parametrize("typed", ["not-mail", "a,b@example.org"])
def test_add_member_with_a_malformed_address_explains_and_keeps_text(
    client: FlaskClient, login: Callable[..., Any], world: World, typed: str
) -> None:
    login(world.supervisor)
    response = client.post(
        f"/supervise/cohorts/{world.cohort.id}/members", data={"email": typed}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter an e-mail address, like name@example.org." in html
    assert f'value="{typed}"' in html


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
    with app.app_context():
        invited = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "member_invited")
        ).scalar_one()
        assert invited.detail == f"cohort={world.cohort.id}"
        assert invited.subject_id == world.outsider.id
        assert invited.actor_role == "supervisor"


def test_csrf_required_on_cohort_posts(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    app.config["WTF_CSRF_ENABLED"] = True
    before = _cohort(app, world.cohort.id).invite_code
    response = client.post(f"/supervise/cohorts/{world.cohort.id}/invite")
    assert response.status_code == 400
    assert _cohort(app, world.cohort.id).invite_code == before
