"""Cohort membership by consent: invitations, answers, admin assignment, removal.

A supervisor cannot put anyone into a cohort. Adding an address creates an
invitation keyed by that address, and the supervisor's answer is the same
whether or not an account uses it, and whatever the account's roles; the
e-mail tells the address's owner what happened. A trainee joins only by
accepting the invitation (on their home page) or by typing the cohort's invite
code. An administrator may still assign a trainee directly: audited, and the
trainee is told by e-mail. Removal is told by e-mail too and stays in the audit
log. Services own the commit.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select, update

from kaptrain.extensions import db
from kaptrain.models import (
    INVITATION_ACCEPTED,
    INVITATION_DECLINED,
    INVITATION_PENDING,
    TRAINEE,
    Cohort,
    CohortInvitation,
    CohortMember,
    User,
    email_key,
    utcnow,
)
from kaptrain.people import audit
from kaptrain.platform.database import insert_ignore
from kaptrain.platform.mail import is_mail_address, send_template
from kaptrain.platform.urls import absolute_url

# One @, a dotted domain, no spaces: the same shape the registration form checks.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class MembershipError(ValueError):
    """A problem the person can fix; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _account(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == email)
    ).scalar_one_or_none()


def _is_member(cohort: Cohort, email: str) -> bool:
    query = (
        select(CohortMember.user_id)
        .join(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id == cohort.id, User.email == email)
    )
    return db.session.execute(query.limit(1)).first() is not None


def invite(viewer: User, cohort: Cohort, raw_email: str) -> str:
    """Invite an address to ``cohort``; returns the sentence to show the inviter.

    The sentence never depends on whether, or what kind of, account uses the
    address. Inviting an address with a pending invitation sends nothing new.
    """
    email = email_key(raw_email)
    if not _EMAIL.match(email) or not is_mail_address(email):
        raise MembershipError(
            "email", "Enter an e-mail address, like name@example.org."
        )
    if _is_member(cohort, email):
        # The members list already shows them: nothing is revealed here.
        raise MembershipError("email", f"{email} is already in this cohort.")
    waiting = (
        f"{email} already has an invitation to {cohort.name} waiting for an answer."
    )
    if not _open_invitation(viewer, cohort, email):
        db.session.rollback()
        return waiting
    account = _account(email)
    audit.record(
        "member_invited",
        actor=viewer,
        subject=account,
        subject_label=email,
        detail=f"cohort={cohort.id}",
    )
    _mail_invitation(viewer, cohort, email, account)
    db.session.commit()
    return (
        f"Invitation sent to {email}. They join {cohort.name} when they accept it; "
        "until then you see nothing of theirs."
    )


def _open_invitation(viewer: User, cohort: Cohort, email: str) -> bool:
    """Insert a pending invitation, or reopen an answered one; False when one is
    already pending (a double click or a second try sends no second e-mail)."""
    now = utcnow()
    inserted = insert_ignore(
        CohortInvitation,
        {
            "cohort_id": cohort.id,
            "email": email,
            "invited_by_id": viewer.id,
            "status": INVITATION_PENDING,
            "created_at": now,
        },
    )
    if inserted:
        return True
    reopened = db.session.execute(
        update(CohortInvitation)
        .where(
            CohortInvitation.cohort_id == cohort.id,
            CohortInvitation.email == email,
            CohortInvitation.status != INVITATION_PENDING,
        )
        .values(
            status=INVITATION_PENDING,
            created_at=now,
            answered_at=None,
            invited_by_id=viewer.id,
        )
    ).rowcount
    return bool(reopened)


def _mail_invitation(
    viewer: User, cohort: Cohort, email: str, account: User | None
) -> None:
    context = {"inviter": viewer.name, "cohort": cohort.name}
    if account is None:
        send_template(
            email,
            f"An invitation to join {cohort.name} on kaptrain",
            "invitation_new",
            register_url=absolute_url("auth.register", code=cohort.invite_code),
            **context,
        )
    elif not account.active:
        return  # a deactivated account is told nothing and can answer nothing
    elif account.has_role(TRAINEE):
        send_template(
            email,
            f"{viewer.name} invited you to join {cohort.name}",
            "invitation",
            name=account.name,
            home_url=absolute_url("main.index"),
            **context,
        )
    else:
        send_template(
            email,
            f"An invitation to {cohort.name} for your address",
            "invitation_staff",
            name=account.name,
            **context,
        )


def pending_invitations(cohort: Cohort) -> list[CohortInvitation]:
    """Invitations to ``cohort`` waiting for an answer, oldest first."""
    return list(
        db.session.scalars(
            select(CohortInvitation)
            .where(
                CohortInvitation.cohort_id == cohort.id,
                CohortInvitation.status == INVITATION_PENDING,
            )
            .order_by(CohortInvitation.created_at, CohortInvitation.id)
        )
    )


def withdraw(viewer: User, cohort: Cohort, invitation_id: int) -> CohortInvitation:
    """Withdraw a pending invitation; LookupError if there is none with that id."""
    invitation = db.session.execute(
        select(CohortInvitation).where(
            CohortInvitation.id == invitation_id,
            CohortInvitation.cohort_id == cohort.id,
            CohortInvitation.status == INVITATION_PENDING,
        )
    ).scalar_one_or_none()
    if invitation is None:
        raise LookupError(invitation_id)
    email = invitation.email
    db.session.execute(
        delete(CohortInvitation).where(CohortInvitation.id == invitation.id)
    )
    audit.record(
        "invitation_withdrawn",
        actor=viewer,
        subject=_account(email),
        subject_label=email,
        detail=f"cohort={cohort.id}",
    )
    db.session.commit()
    return invitation


def invitations_for(user: User) -> list[tuple[CohortInvitation, Cohort]]:
    """The pending invitations a trainee may answer, with their cohorts."""
    if not user.has_role(TRAINEE):
        return []
    rows = db.session.execute(
        select(CohortInvitation, Cohort)
        .join(Cohort, Cohort.id == CohortInvitation.cohort_id)
        .where(
            CohortInvitation.email == user.email,
            CohortInvitation.status == INVITATION_PENDING,
        )
        .order_by(CohortInvitation.created_at, CohortInvitation.id)
    ).all()
    return [(invitation, cohort) for invitation, cohort in rows]


def answer(user: User, invitation_id: int, accept: bool) -> Cohort:
    """Accept or decline one's own pending invitation (once, race-safe).

    LookupError when there is no pending invitation with that id for this
    person's address (the view answers 404).
    """
    if not user.has_role(TRAINEE):
        raise LookupError(invitation_id)
    invitation = db.session.execute(
        select(CohortInvitation).where(
            CohortInvitation.id == invitation_id,
            CohortInvitation.email == user.email,
        )
    ).scalar_one_or_none()
    if invitation is None:
        raise LookupError(invitation_id)
    # The conditional UPDATE lets exactly one of two racing answers through.
    changed = db.session.execute(
        update(CohortInvitation)
        .where(
            CohortInvitation.id == invitation.id,
            CohortInvitation.status == INVITATION_PENDING,
        )
        .values(
            status=INVITATION_ACCEPTED if accept else INVITATION_DECLINED,
            answered_at=utcnow(),
        )
    ).rowcount
    if not changed:
        db.session.rollback()
        raise LookupError(invitation_id)
    # The invitation's row lives and dies with its cohort (ON DELETE CASCADE).
    cohort = invitation.cohort
    if accept:
        insert_ignore(CohortMember, {"cohort_id": cohort.id, "user_id": user.id})
    audit.record(
        "invitation_accepted" if accept else "invitation_declined",
        actor=user,
        subject=user,
        detail=f"cohort={cohort.id}",
    )
    db.session.commit()
    return cohort


def joined_by_code(user: User, cohort: Cohort) -> None:
    """A trainee joined with the invite code: an invitation to that cohort is
    answered by it (the caller commits)."""
    db.session.execute(
        update(CohortInvitation)
        .where(
            CohortInvitation.cohort_id == cohort.id,
            CohortInvitation.email == user.email,
            CohortInvitation.status == INVITATION_PENDING,
        )
        .values(status=INVITATION_ACCEPTED, answered_at=utcnow())
    )


def invite_self(user: User, cohort: Cohort) -> bool:
    """A trainee with an account typed ``cohort``'s invite code while registering
    (or someone typed it with their address): leave an invitation on their home
    page rather than join them silently. True if one is waiting (caller commits).
    """
    if _is_member(cohort, user.email):
        return False
    now = utcnow()
    if not insert_ignore(
        CohortInvitation,
        {
            "cohort_id": cohort.id,
            "email": user.email,
            "status": INVITATION_PENDING,
            "created_at": now,
        },
    ):
        db.session.execute(
            update(CohortInvitation)
            .where(
                CohortInvitation.cohort_id == cohort.id,
                CohortInvitation.email == user.email,
                CohortInvitation.status != INVITATION_PENDING,
            )
            .values(
                status=INVITATION_PENDING,
                created_at=now,
                answered_at=None,
                invited_by_id=None,
            )
        )
    audit.record(
        "member_invited",
        subject=user,
        detail=f"cohort={cohort.id} (invite code typed on the register page)",
    )
    return True


def assign(admin: User, user: User, cohort: Cohort) -> bool:
    """An administrator puts a trainee into a cohort directly: audited, and the
    trainee is told by e-mail. False if they were already a member."""
    if not user.has_role(TRAINEE):
        raise MembershipError(
            "cohort",
            f"{user.email} is not a trainee account, so it cannot join a cohort. "
            "Give it the trainee role first.",
        )
    added = insert_ignore(CohortMember, {"cohort_id": cohort.id, "user_id": user.id})
    if not added:
        db.session.rollback()
        return False
    joined_by_code(user, cohort)
    audit.record(
        "member_assigned", actor=admin, subject=user, detail=f"cohort={cohort.id}"
    )
    send_template(
        user.email,
        f"You were added to {cohort.name}",
        "assigned",
        name=user.name,
        cohort=cohort.name,
        account_url=absolute_url("account.overview"),
    )
    db.session.commit()
    return True


def remove(viewer: User, cohort: Cohort, user_id: int) -> User | None:
    """Take a trainee out of the cohort; their records stay, they are told by
    e-mail, and the audit log keeps it. None if they were not a member."""
    user = db.session.get(User, user_id)
    removed = db.session.execute(
        delete(CohortMember).where(
            CohortMember.cohort_id == cohort.id, CohortMember.user_id == user_id
        )
    ).rowcount
    if not removed or user is None:
        db.session.rollback()
        return None
    audit.record(
        "cohort_changed",
        actor=viewer,
        subject=user,
        detail=f"removed from cohort={cohort.id}",
    )
    send_template(
        user.email,
        f"You were removed from {cohort.name}",
        "removed",
        name=user.name,
        cohort=cohort.name,
        role=audit.role_of(viewer),
        account_url=absolute_url("account.overview"),
    )
    db.session.commit()
    return user
