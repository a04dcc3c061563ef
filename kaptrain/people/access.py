"""Who may do what: role decorators and the object-level questions.

Each question ("may this supervisor see this trainee?") is answered by exactly
one function here, and every view and export asks it here, so the access-matrix
test exercises one rule per question.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import Select, select

from kaptrain.extensions import db
from kaptrain.models import ADMIN, Cohort, CohortMember, User, cohort_supervisors

F = TypeVar("F", bound=Callable[..., Any])


def wants_json() -> bool:
    # HTML is listed first so that "*/*" (curl, scripts) gets the HTML page; only
    # a client that prefers JSON explicitly gets JSON.
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or request.path.startswith("/api/")


def deny(code: int = 404) -> NoReturn:
    """Refuse by an access check: 404 (the default) for someone else's records,
    so their existence does not leak, or 403 for a missing role. Either is
    logged as an "access denied" security event."""
    from kaptrain.people.security_events import mark_access_denied

    mark_access_denied()
    abort(code)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow signed-in users holding any of ``roles`` (admins always pass).

    Anonymous HTML requests are redirected to the login page; anonymous JSON
    requests and signed-in users without the role get 401/403.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if wants_json():
                    abort(401)
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not current_user.has_role(ADMIN, *roles):
                deny(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def supervised_user_ids(viewer: User) -> Select[tuple[int]]:
    """A SELECT of the ids of trainees ``viewer`` may see (all users for admins)."""
    if viewer.has_role(ADMIN):
        return select(User.id)
    return (
        select(CohortMember.user_id)
        .join(
            cohort_supervisors, cohort_supervisors.c.cohort_id == CohortMember.cohort_id
        )
        .where(cohort_supervisors.c.user_id == viewer.id)
        .distinct()
    )


def can_view_trainee(viewer: User, trainee_id: int) -> bool:
    """May ``viewer`` see this trainee's records? Admins yes; supervisors only for
    trainees in a cohort they supervise; anyone else only themselves."""
    if viewer.id == trainee_id:
        return True
    if viewer.has_role(ADMIN):
        return True
    query = supervised_user_ids(viewer).where(CohortMember.user_id == trainee_id)
    return db.session.execute(query.limit(1)).first() is not None


def supervised_cohorts(viewer: User) -> Select[tuple[Cohort]]:
    """A SELECT of the cohorts ``viewer`` supervises (all cohorts for admins)."""
    query = select(Cohort).order_by(Cohort.name, Cohort.id)
    if viewer.has_role(ADMIN):
        return query
    return query.join(
        cohort_supervisors, cohort_supervisors.c.cohort_id == Cohort.id
    ).where(cohort_supervisors.c.user_id == viewer.id)


def cohort_or_404(viewer: User, cohort_id: int) -> Cohort:
    """The cohort if ``viewer`` supervises it; 404 otherwise (no existence leak)."""
    cohort = db.session.execute(
        supervised_cohorts(viewer).where(Cohort.id == cohort_id)
    ).scalar_one_or_none()
    if cohort is None:
        deny()
    return cohort


def trainee_or_404(viewer: User, trainee_id: int) -> User:
    """The trainee if ``viewer`` may see them; 404 otherwise."""
    trainee = db.session.get(User, trainee_id)
    if trainee is None or not can_view_trainee(viewer, trainee_id):
        deny()
    return trainee
