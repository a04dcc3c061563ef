"""Issue 13, the High finding: no supervisor can take over a trainee.

The first test replays the five steps of the report on the fixture world and
fails on the code before the fix (there, step 3 showed the trainee's page and
step 4 gave the supervisor a working reset link). The others prove what must
hold instead: membership by consent, admin assignment audited and told,
removal told and audited, and the trainee's own data listing who saw their
shared reflections by role and time, never the viewer's address or IP.
"""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, CohortInvitation, CohortMember, User
from tests import test_supervise_support as support
from tests.support.mfa import sign_in
from tests.support.settings import PASSWORD
from tests.test_supervise_support import SECRET, SHARED, World

pytestmark = pytest.mark.content("complete-module")
world = support.world

VIEWER_IP = "203.0.113.77"  # the supervisor's address, never shown to the trainee


def _client(app: Flask, user: User, ip: str = "127.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    response = sign_in(client, user, PASSWORD)  # staff pass the code step too
    assert response.status_code == 302, "login failed"
    return client


def _member_of(app: Flask, cohort_id: int) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(
                select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)
            )
        )


def _invitation_id(app: Flask, email: str, cohort_id: int) -> int:
    with app.app_context():
        return db.session.execute(
            select(CohortInvitation.id).where(
                CohortInvitation.email == email,
                CohortInvitation.cohort_id == cohort_id,
            )
        ).scalar_one()


def test_replay_of_the_supervisor_takeover_fails(
    app: Flask, world: World, mailbox: Any
) -> None:
    attacker = _client(app, world.other_supervisor)
    victim = _client(app, world.trainee)
    trainee_url = f"/supervise/trainees/{world.trainee.id}"

    # 1. A supervisor of another cohort gets 404 on the trainee's page.
    assert attacker.get(trainee_url).status_code == 404

    # 2. They "add" the trainee to their own cohort by e-mail on the members page.
    response = attacker.post(
        f"/supervise/cohorts/{world.other_cohort.id}/members",
        data={"email": world.trainee.email},
    )
    assert response.status_code == 302
    assert world.trainee.id not in _member_of(app, world.other_cohort.id)
    # ...and the trainee is asked: an invitation by e-mail.
    (invitation,) = mailbox.wait_for(1)
    assert invitation["To"] == world.trainee.email
    assert "Olga Other invited you" in invitation["Subject"]

    # 3. The trainee page still shows nothing: no progress, no shared reflection.
    response = attacker.get(trainee_url)
    assert response.status_code == 404
    assert SHARED not in html.unescape(response.get_data(as_text=True))

    # 4. There is no supervisor "Reset link": no way to a reset link, no session
    #    of the trainee's ended, no sign-in as the trainee.
    assert attacker.post(f"{trainee_url}/reset-link").status_code in {404, 405}
    page = attacker.get(trainee_url).get_data(as_text=True)
    assert "reset" not in page.lower()
    assert victim.get("/journal").status_code == 200  # still signed in
    with app.app_context():
        links = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "password_reset_issued")
        ).all()
    assert links == []
    assert SECRET not in attacker.get("/journal").get_data(as_text=True)

    # 5. "Removing" them leaves nothing to hide: they were never a member, and
    #    the invitation stays on the record of the trainee's own data.
    remove = f"/supervise/cohorts/{world.other_cohort.id}/members/{world.trainee.id}"
    assert attacker.post(remove + "/remove").status_code == 404
    overview = victim.get("/account").get_data(as_text=True)
    assert "Invitations to cohorts sent to your address" in overview
    # The trainee decides: declining leaves the attacker with nothing, for good.
    invitation_id = _invitation_id(app, world.trainee.email, world.other_cohort.id)
    assert (
        victim.post(f"/account/invitations/{invitation_id}/decline").status_code == 302
    )
    assert attacker.get(trainee_url).status_code == 404
    assert world.trainee.id not in _member_of(app, world.other_cohort.id)


def test_accepting_an_invitation_grants_access_and_is_audited(
    app: Flask, world: World, mailbox: Any
) -> None:
    supervisor = _client(app, world.other_supervisor)
    supervisor.post(
        f"/supervise/cohorts/{world.other_cohort.id}/members",
        data={"email": world.trainee.email},
    )
    trainee = _client(app, world.trainee)
    home = trainee.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Autumn cohort" in home and "Olga Other" in home
    invitation_id = _invitation_id(app, world.trainee.email, world.other_cohort.id)
    response = trainee.post(
        f"/account/invitations/{invitation_id}/accept", follow_redirects=True
    )
    assert "You joined Autumn cohort" in response.get_data(as_text=True)
    assert world.trainee.id in _member_of(app, world.other_cohort.id)
    assert "Cohort invitations" not in trainee.get("/", follow_redirects=True).get_data(
        as_text=True
    )
    page = supervisor.get(f"/supervise/trainees/{world.trainee.id}")
    assert page.status_code == 200
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"member_invited", "invitation_accepted"} <= actions


def test_someone_else_cannot_answer_an_invitation(app: Flask, world: World) -> None:
    supervisor = _client(app, world.other_supervisor)
    supervisor.post(
        f"/supervise/cohorts/{world.other_cohort.id}/members",
        data={"email": world.trainee.email},
    )
    invitation_id = _invitation_id(app, world.trainee.email, world.other_cohort.id)
    peer = _client(app, world.peer)
    url = f"/account/invitations/{invitation_id}/accept"
    assert peer.post(url).status_code == 404
    assert world.peer.id not in _member_of(app, world.other_cohort.id)
    assert world.trainee.id not in _member_of(app, world.other_cohort.id)


def test_a_second_invitation_while_one_waits_sends_nothing_new(
    app: Flask, world: World, mailbox: Any
) -> None:
    supervisor = _client(app, world.other_supervisor)
    url = f"/supervise/cohorts/{world.other_cohort.id}/members"
    supervisor.post(url, data={"email": world.trainee.email})
    response = supervisor.post(
        url, data={"email": world.trainee.email}, follow_redirects=True
    )
    assert "already has an invitation" in response.get_data(as_text=True)
    mailbox.wait_for(1)
    from kaptrain.platform.mail import stop_delivery

    stop_delivery(app)
    assert len(mailbox) == 1


def test_a_declined_invitation_can_be_sent_again(app: Flask, world: World) -> None:
    supervisor = _client(app, world.other_supervisor)
    url = f"/supervise/cohorts/{world.other_cohort.id}/members"
    supervisor.post(url, data={"email": world.trainee.email})
    invitation_id = _invitation_id(app, world.trainee.email, world.other_cohort.id)
    trainee = _client(app, world.trainee)
    trainee.post(f"/account/invitations/{invitation_id}/decline")
    supervisor.post(url, data={"email": world.trainee.email})
    assert "Autumn cohort" in trainee.get("/", follow_redirects=True).get_data(
        as_text=True
    )


def test_withdrawing_an_invitation(app: Flask, world: World) -> None:
    supervisor = _client(app, world.other_supervisor)
    supervisor.post(
        f"/supervise/cohorts/{world.other_cohort.id}/members",
        data={"email": "someone@example.org"},
    )
    invitation_id = _invitation_id(app, "someone@example.org", world.other_cohort.id)
    withdraw = (
        f"/supervise/cohorts/{world.other_cohort.id}/invitations/"
        f"{invitation_id}/withdraw"
    )
    # Another cohort's supervisor cannot touch it.
    assert _client(app, world.supervisor).post(withdraw).status_code == 404
    assert supervisor.post(withdraw).status_code == 302
    assert supervisor.post(withdraw).status_code == 404
    page = supervisor.get(f"/supervise/cohorts/{world.other_cohort.id}/members")
    assert "someone@example.org" not in page.get_data(as_text=True)


def test_an_unknown_address_is_invited_to_register_with_the_code(
    app: Flask, world: World, mailbox: Any
) -> None:
    supervisor = _client(app, world.other_supervisor)
    supervisor.post(
        f"/supervise/cohorts/{world.other_cohort.id}/members",
        data={"email": "new.person@example.org"},
    )
    (mail,) = mailbox.wait_for(1)
    body = mailbox.text(mail)
    assert "No account uses this address" in body
    assert f"/register?code={world.other_cohort.invite_code}" in body


def test_a_staff_address_is_told_nothing_changed(
    app: Flask, world: World, mailbox: Any
) -> None:
    supervisor = _client(app, world.other_supervisor)
    supervisor.post(
        f"/supervise/cohorts/{world.other_cohort.id}/members",
        data={"email": world.admin.email},
    )
    (mail,) = mailbox.wait_for(1)
    assert "staff account" in mailbox.text(mail)
    assert "nothing has changed" in mailbox.text(mail)


def test_admin_assigns_directly_audited_and_the_trainee_is_told(
    app: Flask, world: World, mailbox: Any
) -> None:
    admin = _client(app, world.admin)
    page = admin.get(f"/admin/users/{world.trainee.id}").get_data(as_text=True)
    assert "Add to cohort" in page
    response = admin.post(
        f"/admin/users/{world.trainee.id}/cohorts",
        data={"cohort": str(world.other_cohort.id)},
    )
    assert response.status_code == 302
    assert world.trainee.id in _member_of(app, world.other_cohort.id)
    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == world.trainee.email
    assert "added to Autumn cohort" in mail["Subject"]
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "member_assigned")
        ).scalar_one()
        assert (event.actor_id, event.subject_id) == (
            world.admin.id,
            world.trainee.id,
        )
        assert event.actor_role == "admin"


def test_admin_cannot_assign_a_staff_account(app: Flask, world: World) -> None:
    admin = _client(app, world.admin)
    response = admin.post(
        f"/admin/users/{world.author.id}/cohorts",
        data={"cohort": str(world.other_cohort.id)},
    )
    assert response.status_code == 400
    assert "not a trainee account" in response.get_data(as_text=True)
    assert world.author.id not in _member_of(app, world.other_cohort.id)


def test_a_supervisor_cannot_use_the_admin_assignment(app: Flask, world: World) -> None:
    supervisor = _client(app, world.other_supervisor)
    response = supervisor.post(
        f"/admin/users/{world.trainee.id}/cohorts",
        data={"cohort": str(world.other_cohort.id)},
    )
    assert response.status_code == 403
    assert world.trainee.id not in _member_of(app, world.other_cohort.id)


def test_removal_is_told_audited_and_past_access_stays_visible(
    app: Flask, world: World, mailbox: Any
) -> None:
    supervisor = _client(app, world.supervisor, ip=VIEWER_IP)
    trainee_url = f"/supervise/trainees/{world.trainee.id}"
    assert SHARED in html.unescape(supervisor.get(trainee_url).get_data(as_text=True))
    remove = f"/supervise/cohorts/{world.cohort.id}/members/{world.trainee.id}/remove"
    assert supervisor.post(remove).status_code == 302
    assert supervisor.get(trainee_url).status_code == 404

    (mail,) = mailbox.wait_for(1)
    assert mail["To"] == world.trainee.email
    assert "removed from Spring cohort" in mail["Subject"]
    assert "A supervisor removed you" in mailbox.text(mail)
    with app.app_context():
        removal = db.session.execute(
            select(AuditEvent).where(
                AuditEvent.detail == f"removed from cohort={world.cohort.id}"
            )
        ).scalar_one()
        assert removal.subject_id == world.trainee.id

    trainee = _client(app, world.trainee)
    overview = trainee.get("/account").get_data(as_text=True)
    seen = overview[overview.index("Who has seen your shared reflections") :]
    assert "Supervisor" in seen and "trainee page" in seen
    assert world.supervisor.email not in overview
    assert VIEWER_IP not in overview


def test_the_export_names_viewers_by_role_and_time_only(
    app: Flask, world: World
) -> None:
    """Issue 13 (Low): the personal-data export leaked the e-mail address and IP
    of the supervisor or admin who viewed the trainee's reflections."""
    for viewer in (world.supervisor, world.admin):
        client = _client(app, viewer, ip=VIEWER_IP)
        page = client.get(f"/supervise/trainees/{world.trainee.id}")
        assert page.status_code == 200
    admin = _client(app, world.admin, ip=VIEWER_IP)
    assert admin.post(f"/admin/users/{world.trainee.id}/reset-email").status_code == 302
    trainee = _client(app, world.trainee)
    body = trainee.get("/account/data.json").get_data(as_text=True)
    zipped = trainee.get("/account/data.zip").get_data()
    for leaked in (world.supervisor.email, world.admin.email, VIEWER_IP):
        assert leaked not in body
        assert leaked.encode() not in zipped
    data = json.loads(body)
    seen = data["shared_reflections_seen"]
    assert sorted(row["role"] for row in seen) == ["admin", "supervisor"]
    assert all(row["at"] for row in seen)
    viewed = [
        e for e in data["audit_events"] if e["action"] == "shared_reflections_viewed"
    ]
    assert viewed and all("ip" not in e and "actor_label" not in e for e in viewed)
    assert {e["actor_role"] for e in viewed} == {"admin", "supervisor"}
    (link,) = data["password_reset_links"]
    assert "issued_by_id" not in link and link["started_by"] == "administrator"
    # The trainee's own actions keep their own details.
    own = [e for e in data["audit_events"] if e["action"] == "login"]
    assert own and own[0]["actor_label"] == world.trainee.email


def test_deleting_the_account_removes_invitations_and_mail_to_the_address(
    app: Flask, world: World
) -> None:
    from kaptrain.models import OutboxMessage

    supervisor = _client(app, world.other_supervisor)
    supervisor.post(
        f"/supervise/cohorts/{world.other_cohort.id}/members",
        data={"email": world.trainee.email},
    )
    trainee = _client(app, world.trainee)
    response = trainee.post(
        "/account/delete", data={"password": PASSWORD, "confirm": "DELETE"}
    )
    assert response.status_code == 302
    with app.app_context():
        invitations = db.session.scalars(
            select(CohortInvitation).where(
                CohortInvitation.email == world.trainee.email
            )
        ).all()
        mail = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == world.trainee.email)
        ).all()
    assert (invitations, mail) == ([], [])


class TestInvitationLimit:
    """Invitations send mail: one supervisor cannot flood inboxes with them."""

    @pytest.fixture
    def app_config(self, tmp_path: Any) -> dict[str, Any]:
        return {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }

    def test_sixty_invitations_an_hour_per_supervisor(
        self, app: Flask, world: World
    ) -> None:
        supervisor = _client(app, world.other_supervisor)
        url = f"/supervise/cohorts/{world.other_cohort.id}/members"
        for n in range(60):
            response = supervisor.post(url, data={"email": f"p{n}@example.org"})
            assert response.status_code == 302, n
        assert (
            supervisor.post(url, data={"email": "p60@example.org"}).status_code == 429
        )
        # Another supervisor is not affected; anonymous requests go to sign in.
        other = _client(app, world.supervisor)
        own = f"/supervise/cohorts/{world.cohort.id}/members"
        assert other.post(own, data={"email": "q@example.org"}).status_code == 302
        anonymous = app.test_client().post(own, data={"email": "q@example.org"})
        assert anonymous.status_code == 302
        assert "/login" in anonymous.headers["Location"]
