"""Cohort management: create, rename, new invite code, the member list.

Adding (by invitation) and removing members is ``kaptrain.people.membership``.

Services own the commit. The caller has already checked the viewer may manage
the cohort (``access.cohort_or_404``). Every change writes a ``cohort_changed``
audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from kaptrain.content import Catalog
from kaptrain.extensions import db
from kaptrain.learning.progress import progress_for
from kaptrain.models import NAME_MAX, Cohort, CohortMember, User
from kaptrain.people import audit
from kaptrain.people.access import supervised_cohorts
from kaptrain.people.accounts import new_invite_code


class CohortError(ValueError):
    """A problem the supervisor can fix; ``field`` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CohortRow:
    cohort: Cohort
    members: int


@dataclass(frozen=True)
class MemberRow:
    user: User
    joined_at: dt.datetime
    last_activity: dt.datetime | None


def cohort_list(viewer: User) -> list[CohortRow]:
    """The cohorts ``viewer`` supervises with their member counts (one query)."""
    counts = (
        select(CohortMember.cohort_id, func.count().label("n"))
        .group_by(CohortMember.cohort_id)
        .subquery()
    )
    query = (
        supervised_cohorts(viewer)
        .add_columns(func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.cohort_id == Cohort.id)
    )
    return [CohortRow(cohort, int(n)) for cohort, n in db.session.execute(query)]


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise CohortError("name", "Enter a name for the cohort.")
    if len(name) > NAME_MAX:
        raise CohortError("name", f"Use at most {NAME_MAX} characters.")
    return name


def create_cohort(viewer: User, name: str) -> Cohort:
    """A new cohort supervised by ``viewer``, with a fresh invite code."""
    cohort = Cohort(name=_clean_name(name), invite_code=new_invite_code())
    cohort.supervisors.append(viewer)
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort_changed", actor=viewer, detail=f"created cohort={cohort.id}")
    db.session.commit()
    return cohort


def rename_cohort(viewer: User, cohort: Cohort, name: str) -> None:
    old = cohort.name
    cohort.name = _clean_name(name)
    if cohort.name != old:
        audit.record(
            "cohort_changed", actor=viewer, detail=f"renamed cohort={cohort.id}"
        )
    db.session.commit()


def regenerate_invite(viewer: User, cohort: Cohort) -> str:
    """Replace the invite code; the old one stops working at once."""
    for _ in range(3):
        cohort.invite_code = new_invite_code()
        audit.record(
            "cohort_changed", actor=viewer, detail=f"new invite code cohort={cohort.id}"
        )
        try:
            db.session.commit()
        except IntegrityError:  # pragma: no cover - a 1 in 32**12 collision
            db.session.rollback()
            continue
        return cohort.invite_code
    raise RuntimeError("could not find an unused invite code")


def member_ids(cohort: Cohort) -> Select[tuple[int]]:
    """A SELECT of the cohort's member ids, for IN-subqueries."""
    return select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)


def members(cohort: Cohort, catalog: Catalog) -> list[MemberRow]:
    """Members by name with the time of their latest learning activity."""
    rows = db.session.execute(
        select(User, CohortMember.joined_at)
        .join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort.id)
        .order_by(func.lower(User.name), User.id)
    ).all()
    progress = progress_for([user.id for user, _ in rows], catalog)
    latest: dict[int, dt.datetime] = {}
    for (user_id, _), item in progress.items():
        if item.last_activity and (
            user_id not in latest or item.last_activity > latest[user_id]
        ):
            latest[user_id] = item.last_activity
    return [MemberRow(user, joined, latest.get(user.id)) for user, joined in rows]
