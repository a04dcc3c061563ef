"""The route x role access matrix: every rule and method in ``app.url_map`` (but
``static``) for anonymous, trainee A, trainee B (A's cohort), A's supervisor,
another cohort's supervisor, an author and an admin.

``TABLE`` declares, per route, how to fill its URL from A's records and what each
role must get. ``test_every_route_is_in_the_table`` fails, naming the route, when
a rule in the URL map has no row, so a new route cannot ship unchecked.

The cells share one world per module (a database of its own, so the per-test
truncation of other fixtures cannot touch it). A cell that would change what
later cells rely on gets fresh records from its row's ``prepare`` (a new journal
entry, run, member or target account), and a cell whose action ends the actor's
own account or password acts as a fresh copy of the role (same roles and cohorts).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from kaptrain import create_app
from kaptrain.extensions import db
from kaptrain.learning.certificates import new_code
from kaptrain.models import (
    Certificate,
    Cohort,
    CohortMember,
    JournalEntry,
    QuizAttempt,
    User,
    UserRole,
    VignetteRun,
)
from kaptrain.people.mfa import STAFF_ROLES
from kaptrain.platform.mail import stop_delivery
from tests.support.client import ClosingClient
from tests.support.database import PG_URL, pg_admin_engine
from tests.support.learn import MODULE_ID, fixture_config
from tests.support.mfa import enrol, needs_code, sign_in
from tests.support.settings import PASSWORD, base_config
from tests.support.studio_matrix import studio_routes
from tests.test_supervise_support import SECRET, seed_trainee

ROLES = (
    "anonymous",
    "trainee_a",
    "trainee_b",
    "supervisor_a",
    "supervisor_other",
    "author",
    "admin",
)
NEW_PASSWORD = "copper-meadow-violin-58"
LESSON = "defining-racial-trauma"
QUIZ = "post-test"
VIGNETTE = "first-session"
EVALUATION = "course-evaluation"

_serial = itertools.count(1)


# --------------------------------------------------------------------------- world


@dataclass
class World:
    """The shared records: people by role and A's records the URLs point at."""

    app: Flask
    users: dict[str, User]
    cohort_id: int
    other_cohort_id: int
    attempt_id: int = 0
    run_id: int = 0
    shared_entry_id: int = 0
    private_entry_id: int = 0
    certificate_code: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def a(self) -> User:
        return self.users["trainee_a"]

    def invite_code(self) -> str:
        with self.app.app_context():
            return db.session.get(Cohort, self.cohort_id).invite_code


def add_user(
    roles: tuple[str, ...],
    *,
    name: str | None = None,
    cohort_id: int | None = None,
    supervises: tuple[int, ...] = (),
) -> User:
    """A user, created in the current app context and detached."""
    from kaptrain.people.passwords import hash_password

    n = next(_serial)
    user = User(
        email=f"{roles[0]}-{n}-{uuid.uuid4().hex[:6]}@example.org",
        name=name or f"Matrix {roles[0]} {n}",
        password_hash=hash_password(PASSWORD),
        active=True,
    )
    user.role_rows = [UserRole(role=r) for r in roles]
    db.session.add(user)
    db.session.flush()
    if cohort_id is not None:
        db.session.add(CohortMember(cohort_id=cohort_id, user_id=user.id))
    for supervised in supervises:
        db.session.get(Cohort, supervised).supervisors.append(user)
    # Staff hold an authenticator (issue 13) and sign in with real codes.
    secret = enrol(user.id) if set(roles) & set(STAFF_ROLES) else None
    db.session.commit()
    db.session.refresh(user)
    db.session.expunge(user)
    user.totp_secret = secret  # type: ignore[attr-defined]
    return user


def build_world(app: Flask) -> World:
    """Two cohorts, the seven roles, and A's records (see seed_trainee)."""
    from kaptrain.people.accounts import new_invite_code

    with app.app_context():
        cohort = Cohort(name="Spring cohort", invite_code=new_invite_code())
        other = Cohort(name="Autumn cohort", invite_code=new_invite_code())
        db.session.add_all([cohort, other])
        db.session.commit()
        users = {
            "supervisor_a": add_user(("supervisor",), supervises=(cohort.id,)),
            "supervisor_other": add_user(("supervisor",), supervises=(other.id,)),
            "author": add_user(("author",)),
            "admin": add_user(("admin",)),
            "trainee_a": add_user(("trainee",), name="Tara A", cohort_id=cohort.id),
            "trainee_b": add_user(("trainee",), name="Pat B", cohort_id=cohort.id),
        }
        world = World(app, users, cohort.id, other.id)
        ids = seed_trainee(world.a.id)
        world.shared_entry_id = ids["shared"]
        world.private_entry_id = ids["private"]
        world.run_id = ids["run"]
        world.attempt_id = db.session.execute(
            select(QuizAttempt.id).where(
                QuizAttempt.user_id == world.a.id, QuizAttempt.kind == "post"
            )
        ).scalar_one()
        # A real code, so that only the owner check can refuse it.
        certificate = db.session.execute(
            select(Certificate).where(Certificate.user_id == world.a.id)
        ).scalar_one()
        certificate.code = new_code()
        db.session.commit()
        world.certificate_code = certificate.code
        outsider = add_user(("trainee",), cohort_id=other.id)
        seed_trainee(outsider.id, certify=False)
    return world


@contextmanager
def _module_database(tmp: Path) -> Iterator[str]:
    """A database for this module alone: a SQLite file, or a new PostgreSQL one."""
    if not PG_URL:
        yield f"sqlite:///{tmp / 'matrix.db'}"
        return
    name = f"{make_url(PG_URL).database}_matrix_{uuid.uuid4().hex[:8]}"
    admin = pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One app and world for every cell of the matrix."""
    tmp = tmp_path_factory.mktemp("matrix")
    with _module_database(tmp) as url:
        application = create_app(
            base_config(
                url,
                MAIL_DIR=tmp / "mail",
                # A fixed signing key, so the owner's credential JSON is served.
                SIGNING_KEY="5a" * 32,
                **fixture_config(tmp),
            )
        )
        application.test_client_class = ClosingClient
        with application.app_context():
            db.create_all()
        yield build_world(application)
        stop_delivery(application)  # before its database goes away
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


# ------------------------------------------------------------- fresh per-cell data


def fresh_entry(w: World) -> dict[str, Any]:
    """A new private entry of A's, for cells that edit, share or delete one."""
    with w.app.app_context():
        entry = JournalEntry(
            user_id=w.a.id, module_id=MODULE_ID, body="Fresh entry", shared=False
        )
        db.session.add(entry)
        db.session.commit()
        return {"entry": entry.id}


def fresh_run(w: World) -> dict[str, Any]:
    """A new unfinished run of A's through the case."""
    from kaptrain.learning.course import current_catalog

    with w.app.app_context():
        module = current_catalog().get(MODULE_ID)
        number = db.session.execute(
            select(func.coalesce(func.max(VignetteRun.number), 0)).where(
                VignetteRun.user_id == w.a.id
            )
        ).scalar_one()
        run = VignetteRun(
            user_id=w.a.id,
            module_id=MODULE_ID,
            vignette_id=VIGNETTE,
            number=number + 1,
            module_version=module.version,
            content_hash=module.content_hash,
            current_node="arrival",
        )
        db.session.add(run)
        db.session.commit()
        return {"run": run.id}


def fresh_member(w: World) -> dict[str, Any]:
    """A new trainee in A's cohort (to be removed)."""
    with w.app.app_context():
        return {"user": add_user(("trainee",), cohort_id=w.cohort_id).id}


def fresh_account(w: World) -> dict[str, Any]:
    """A new trainee outside every cohort (to be added, deactivated or reset)."""
    with w.app.app_context():
        user = add_user(("trainee",))
        return {"user": user.id, "email": user.email}


def fresh_reset_token(w: World) -> dict[str, Any]:
    """A one-time reset link for a new account."""
    from kaptrain.people.resets import issue_reset_link

    with w.app.app_context():
        user = add_user(("trainee",))
        issuer = db.session.get(User, w.users["admin"].id)
        target = db.session.get(User, user.id)
        token = issue_reset_link(issuer, target)
        db.session.commit()
        return {"token": token}


def fresh_register_token(w: World) -> dict[str, Any]:
    """The e-mailed link of step two of registering, for a new address."""
    from kaptrain.people.registration import _register_serializer

    email = fresh_email(w)["email"]
    with w.app.app_context(), w.app.test_request_context():
        token = _register_serializer().dumps(
            {"c": w.cohort_id, "e": email, "n": "Linked Person"}
        )
    return {"token": token}


def fresh_invitation_for_a(w: World) -> dict[str, Any]:
    """A pending invitation of A's address to the other cohort."""
    from kaptrain.models import CohortInvitation

    with w.app.app_context():
        db.session.execute(
            CohortInvitation.__table__.delete().where(
                CohortInvitation.email == w.a.email
            )
        )
        row = CohortInvitation(cohort_id=w.other_cohort_id, email=w.a.email)
        db.session.add(row)
        db.session.commit()
        return {"invitation": row.id}


def fresh_invitation(w: World) -> dict[str, Any]:
    """A pending invitation of a new address to A's cohort (to be withdrawn)."""
    from kaptrain.models import CohortInvitation

    with w.app.app_context():
        row = CohortInvitation(cohort_id=w.cohort_id, email=fresh_email(w)["email"])
        db.session.add(row)
        db.session.commit()
        return {"invitation": row.id}


def fresh_email(_w: World) -> dict[str, Any]:
    return {"email": f"new-{uuid.uuid4().hex[:10]}@example.org"}


# ------------------------------------------------------------------------- table

OK = "ok"  # the route's normal success (Route.ok)
LOGIN = "login"  # a redirect to the sign-in page that names where to return

Expect = str | int


def cells(
    anonymous: Expect,
    a: Expect,
    b: Expect,
    sup: Expect,
    other: Expect,
    author: Expect,
    admin: Expect,
) -> dict[str, Expect]:
    return dict(zip(ROLES, (anonymous, a, b, sup, other, author, admin), strict=True))


PUBLIC = cells(OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = cells(LOGIN, OK, OK, OK, OK, OK, OK)
# Trainee pages about oneself (admins pass every role check and see their own).
TRAINEE = cells(LOGIN, OK, OK, 403, 403, 403, OK)
# Trainee pages about one of A's records: only A; everyone else's is not found.
A_ONLY = cells(LOGIN, OK, 404, 403, 403, 403, 404)
# Supervisor pages about A or A's cohort.
A_SUPERVISOR = cells(LOGIN, 403, 403, OK, 404, 403, OK)
ANY_SUPERVISOR = cells(LOGIN, 403, 403, OK, OK, 403, OK)
AUTHOR = cells(LOGIN, 403, 403, 403, 403, OK, OK)
ADMIN = cells(LOGIN, 403, 403, 403, 403, 403, OK)
# Sign-in and registration: signed-in people are sent on.
ANONYMOUS_ONLY = cells(OK, 302, 302, 302, 302, 302, 302)
# The second sign-in step: a session that already passed it is sent on.
PASSED_ON = cells(LOGIN, 302, 302, 302, 302, 302, 302)

Params = dict[str, Any]


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    url: Callable[[World, Params], str]
    expect: dict[str, Expect]
    data: Callable[[World, Params], dict[str, Any]] | None = None
    ok: tuple[int, ...] = ()
    prepare: Callable[[World], Params] | None = None
    # The action ends the actor's own account or password: use a copy of the role.
    own_account: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule, self.method)

    def success(self) -> tuple[int, ...]:
        if self.ok:
            return self.ok
        return (200,) if self.method == "GET" else (302, 303)


def _m(path: str = "") -> Callable[[World, Params], str]:
    return lambda _w, _p: f"/modules/{MODULE_ID}{path}"


def _const(url: str) -> Callable[[World, Params], str]:
    return lambda _w, _p: url


def _nodata(_w: World, _p: Params) -> dict[str, Any]:
    return {}


def _bad_code(_w: World, _p: Params) -> dict[str, Any]:
    return {"code": "abcdef"}  # never a valid code, so nobody gets enrolled


A_ATTEMPT = "/modules/<module_id>/<item_id>/attempts/<int:attempt_id>"
A_RUN = "/modules/<module_id>/<item_id>/runs/<int:run_id>"
COHORT = "/supervise/cohorts/<int:cohort_id>"
TRAINEE_URL = "/supervise/trainees/<int:user_id>"


def _cohort(path: str = "") -> Callable[[World, Params], str]:
    return lambda w, _p: f"/supervise/cohorts/{w.cohort_id}{path}"


def _password_form(_w: World, _p: Params) -> dict[str, Any]:
    return {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def _certificate_id(w: World) -> int:
    with w.app.app_context():
        return db.session.execute(
            select(Certificate.id).where(Certificate.code == w.certificate_code)
        ).scalar_one()


TABLE: tuple[Route, ...] = (
    # main
    Route("/", "GET", _const("/"), cells(OK, 302, 302, OK, OK, OK, OK)),
    Route("/healthz", "GET", _const("/healthz"), PUBLIC),
    Route("/support", "GET", _const("/support"), PUBLIC),
    # auth
    Route("/login", "GET", _const("/login"), ANONYMOUS_ONLY),
    Route(
        "/login",
        "POST",
        _const("/login"),
        cells(OK, 302, 302, 302, 302, 302, 302),
        data=lambda w, _p: {"email": w.a.email, "password": PASSWORD},
    ),
    Route("/logout", "POST", _const("/logout"), SIGNED_IN),
    Route("/register", "GET", _const("/register"), ANONYMOUS_ONLY),
    Route(
        "/register",
        "POST",
        _const("/register"),
        cells(OK, 302, 302, 302, 302, 302, 302),
        data=lambda w, p: {
            "invite_code": w.invite_code(),
            "name": "New Person",
            "email": p["email"],
        },
        ok=(200,),  # "check your e-mail" (issue 13)
        prepare=fresh_email,
    ),
    Route(
        "/register/confirm/<token>",
        "GET",
        lambda _w, p: f"/register/confirm/{p['token']}",
        ANONYMOUS_ONLY,
        prepare=fresh_register_token,
    ),
    Route(
        "/register/confirm/<token>",
        "POST",
        lambda _w, p: f"/register/confirm/{p['token']}",
        cells(OK, 302, 302, 302, 302, 302, 302),
        data=lambda _w, _p: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        prepare=fresh_register_token,
    ),
    Route("/forgot", "GET", _const("/forgot"), PUBLIC),
    Route(
        "/forgot",
        "POST",
        _const("/forgot"),
        PUBLIC,
        data=lambda _w, p: {"email": p["email"]},
        ok=(200,),
        prepare=fresh_email,
    ),
    Route(
        "/reset/<token>",
        "GET",
        lambda _w, p: f"/reset/{p['token']}",
        PUBLIC,
        prepare=fresh_reset_token,
    ),
    Route(
        "/reset/<token>",
        "POST",
        lambda _w, p: f"/reset/{p['token']}",
        PUBLIC,
        data=lambda _w, _p: {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        prepare=fresh_reset_token,
    ),
    Route("/account/password", "GET", _const("/account/password"), SIGNED_IN),
    Route(
        "/account/password",
        "POST",
        _const("/account/password"),
        SIGNED_IN,
        data=_password_form,
        own_account=True,
    ),
    # account
    Route("/account", "GET", _const("/account"), SIGNED_IN),
    Route("/account/data.json", "GET", _const("/account/data.json"), SIGNED_IN),
    Route("/account/data.zip", "GET", _const("/account/data.zip"), SIGNED_IN),
    Route("/account/delete", "GET", _const("/account/delete"), SIGNED_IN),
    Route(
        "/account/invitations/<int:invitation_id>/<any(accept, decline):answer>",
        "POST",
        lambda _w, p: f"/account/invitations/{p['invitation']}/decline",
        # Only the invited trainee; nobody else learns the invitation exists.
        cells(LOGIN, OK, 404, 404, 404, 404, 404),
        prepare=fresh_invitation_for_a,
    ),
    Route(
        "/account/delete",
        "POST",
        _const("/account/delete"),
        SIGNED_IN,
        data=lambda _w, _p: {"password": PASSWORD, "confirm": "DELETE"},
        own_account=True,
    ),
    Route("/account/sessions", "GET", _const("/account/sessions"), SIGNED_IN),
    Route(
        "/account/sessions/<session_id>/end",
        "POST",
        _const("/account/sessions/0123456789abcdef/end"),
        SIGNED_IN,
    ),
    Route(
        "/account/sessions/end-others",
        "POST",
        _const("/account/sessions/end-others"),
        SIGNED_IN,
        own_account=True,
    ),
    # two-step sign-in (staff are enrolled and signed in with a code; trainees
    # are not enrolled, so the code pages send everyone on)
    Route("/login/mfa", "GET", _const("/login/mfa"), PASSED_ON),
    Route("/login/mfa", "POST", _const("/login/mfa"), PASSED_ON, data=_bad_code),
    Route(
        "/login/mfa/passkey/options",
        "POST",
        _const("/login/mfa/passkey/options"),
        cells(LOGIN, 400, 400, 400, 400, 400, 400),
    ),
    Route("/login/mfa/passkey", "POST", _const("/login/mfa/passkey"), PASSED_ON),
    Route("/account/mfa", "GET", _const("/account/mfa"), SIGNED_IN),
    Route(
        "/account/mfa/setup",
        "GET",
        _const("/account/mfa/setup"),
        cells(LOGIN, OK, OK, 302, 302, 302, 302),
    ),
    Route(
        "/account/mfa/setup",
        "POST",
        _const("/account/mfa/setup"),
        cells(LOGIN, 400, 400, 302, 302, 302, 302),
        data=_bad_code,
    ),
    Route("/account/confirm", "GET", _const("/account/confirm"), SIGNED_IN),
    Route(
        "/account/confirm",
        "POST",
        _const("/account/confirm"),
        cells(LOGIN, 400, 400, 400, 400, 400, 400),
        data=lambda _w, _p: {"password": "not-the-password", "code": "abcdef"},
    ),
    # Staff get their new codes shown (200), trainees without MFA are sent back.
    Route(
        "/account/mfa/recovery-codes",
        "POST",
        _const("/account/mfa/recovery-codes"),
        cells(LOGIN, 302, 302, 200, 200, 200, 200),
    ),
    Route("/account/mfa/off", "POST", _const("/account/mfa/off"), SIGNED_IN),
    Route(
        "/account/mfa/passkeys/options",
        "POST",
        _const("/account/mfa/passkeys/options"),
        cells(LOGIN, 400, 400, OK, OK, OK, OK),
        ok=(200,),
    ),
    Route("/account/mfa/passkeys", "POST", _const("/account/mfa/passkeys"), SIGNED_IN),
    Route(
        "/account/mfa/passkeys/<int:passkey_id>/delete",
        "POST",
        _const("/account/mfa/passkeys/999999/delete"),
        cells(LOGIN, 404, 404, 404, 404, 404, 404),
    ),
    # learn: catalog, module, items
    Route("/modules", "GET", _const("/modules"), TRAINEE),
    Route("/progress", "GET", _const("/progress"), TRAINEE),
    Route("/modules/<module_id>", "GET", _m(), TRAINEE),
    Route(
        "/modules/<module_id>/media/<path:name>", "GET", _m("/media/model.png"), TRAINEE
    ),
    Route("/modules/<module_id>/<item_id>", "GET", _m(f"/{LESSON}"), TRAINEE),
    Route(
        "/modules/<module_id>/<item_id>/complete",
        "POST",
        _m(f"/{LESSON}/complete"),
        TRAINEE,
    ),
    Route(
        "/modules/<module_id>/<item_id>/start",
        "POST",
        _m(f"/{QUIZ}/start"),
        TRAINEE,
        data=lambda _w, _p: {"kind": "post"},
    ),
    Route(
        "/modules/<module_id>/<item_id>/skip-pretest",
        "POST",
        _m(f"/{QUIZ}/skip-pretest"),
        TRAINEE,
    ),
    Route(
        A_ATTEMPT,
        "GET",
        lambda w, _p: f"/modules/{MODULE_ID}/{QUIZ}/attempts/{w.attempt_id}",
        A_ONLY,
    ),
    Route(
        A_ATTEMPT,
        "POST",
        lambda w, _p: f"/modules/{MODULE_ID}/{QUIZ}/attempts/{w.attempt_id}",
        A_ONLY,
        data=lambda _w, _p: {"q-rbts-injury": "1"},
    ),
    Route(
        "/modules/<module_id>/<item_id>/runs", "POST", _m(f"/{VIGNETTE}/runs"), TRAINEE
    ),
    Route(
        A_RUN,
        "POST",
        lambda _w, p: f"/modules/{MODULE_ID}/{VIGNETTE}/runs/{p['run']}",
        A_ONLY,
        data=lambda _w, _p: {"step": "0", "choice": "1"},
        prepare=fresh_run,
    ),
    Route(
        "/modules/<module_id>/<item_id>/evaluation",
        "POST",
        _m(f"/{EVALUATION}/evaluation"),
        TRAINEE,
        data=lambda _w, _p: {"rating-objectives-met": "5", "rating-relevant": "4"},
    ),
    # learn: journal
    Route("/journal", "GET", _const("/journal"), TRAINEE),
    Route(
        "/journal",
        "POST",
        _const("/journal"),
        TRAINEE,
        data=lambda _w, _p: {"module_id": MODULE_ID, "body": "A matrix entry"},
    ),
    Route("/journal/journal.<fmt>", "GET", _const("/journal/journal.json"), TRAINEE),
    Route(
        "/journal/<int:entry_id>/edit",
        "GET",
        lambda w, _p: f"/journal/{w.private_entry_id}/edit",
        A_ONLY,
    ),
    Route(
        "/journal/<int:entry_id>/edit",
        "POST",
        lambda _w, p: f"/journal/{p['entry']}/edit",
        A_ONLY,
        data=lambda _w, _p: {"body": "Edited"},
        prepare=fresh_entry,
    ),
    Route(
        "/journal/<int:entry_id>/share",
        "POST",
        lambda _w, p: f"/journal/{p['entry']}/share",
        A_ONLY,
        data=lambda _w, _p: {"shared": "1"},
        prepare=fresh_entry,
    ),
    Route(
        "/journal/<int:entry_id>/delete",
        "GET",
        lambda w, _p: f"/journal/{w.shared_entry_id}/delete",
        A_ONLY,
    ),
    Route(
        "/journal/<int:entry_id>/delete",
        "POST",
        lambda _w, p: f"/journal/{p['entry']}/delete",
        A_ONLY,
        prepare=fresh_entry,
    ),
    # learn: certificates and verification
    Route(
        "/certificates/<code>",
        "GET",
        lambda w, _p: f"/certificates/{w.certificate_code}",
        A_ONLY,
    ),
    Route(
        "/certificates/<code>.pdf",
        "GET",
        lambda w, _p: f"/certificates/{w.certificate_code}.pdf",
        A_ONLY,
    ),
    Route("/verify", "GET", _const("/verify"), PUBLIC),
    Route(
        "/certificates/<code>.json",
        "GET",
        lambda w, _p: f"/certificates/{w.certificate_code}.json",
        A_ONLY,
    ),
    Route("/verify/credential", "GET", _const("/verify/credential"), PUBLIC),
    Route(
        "/verify/credential",
        "POST",
        _const("/verify/credential"),
        PUBLIC,
        data=lambda _w, _p: {"credential": "{}"},
        ok=(200,),
    ),
    Route(
        "/credentials/status/<int:list_number>",
        "GET",
        _const("/credentials/status/1"),
        PUBLIC,
    ),
    Route("/.well-known/did.json", "GET", _const("/.well-known/did.json"), PUBLIC),
    Route(
        "/verify/<code>", "GET", lambda w, _p: f"/verify/{w.certificate_code}", PUBLIC
    ),
    # supervise
    Route("/supervise/", "GET", _const("/supervise/"), ANY_SUPERVISOR),
    Route("/supervise/cohorts", "GET", _const("/supervise/cohorts"), ANY_SUPERVISOR),
    Route(
        "/supervise/cohorts",
        "POST",
        _const("/supervise/cohorts"),
        ANY_SUPERVISOR,
        data=lambda _w, _p: {"name": "Matrix cohort"},
    ),
    Route(COHORT, "GET", _cohort(), A_SUPERVISOR),
    Route(COHORT + "/members", "GET", _cohort("/members"), A_SUPERVISOR),
    Route(
        COHORT + "/members",
        "POST",
        _cohort("/members"),
        A_SUPERVISOR,
        data=lambda _w, p: {"email": p["email"]},
        prepare=fresh_account,
    ),
    Route(
        COHORT + "/members/<int:user_id>/remove",
        "POST",
        lambda w, p: f"/supervise/cohorts/{w.cohort_id}/members/{p['user']}/remove",
        A_SUPERVISOR,
        prepare=fresh_member,
    ),
    Route(
        COHORT + "/name",
        "POST",
        _cohort("/name"),
        A_SUPERVISOR,
        data=lambda _w, _p: {"name": "Spring cohort"},
    ),
    Route(COHORT + "/invite", "POST", _cohort("/invite"), A_SUPERVISOR),
    Route(COHORT + "/gain", "GET", _cohort("/gain"), A_SUPERVISOR),
    Route(
        COHORT + "/export/progress.csv",
        "GET",
        _cohort("/export/progress.csv"),
        A_SUPERVISOR,
    ),
    Route(
        COHORT + "/export/attempts.csv",
        "GET",
        _cohort("/export/attempts.csv"),
        A_SUPERVISOR,
    ),
    Route(
        TRAINEE_URL, "GET", lambda w, _p: f"/supervise/trainees/{w.a.id}", A_SUPERVISOR
    ),
    Route(
        TRAINEE_URL + "/modules/<module_id>",
        "GET",
        lambda w, _p: f"/supervise/trainees/{w.a.id}/modules/{MODULE_ID}",
        A_SUPERVISOR,
    ),
    Route(
        TRAINEE_URL + "/entries/<int:entry_id>/comments",
        "POST",
        lambda w, _p: (
            f"/supervise/trainees/{w.a.id}/entries/{w.shared_entry_id}/comments"
        ),
        A_SUPERVISOR,
        data=lambda w, _p: {f"entry-{w.shared_entry_id}-body": "Thank you."},
    ),
    Route(
        COHORT + "/invitations/<int:invitation_id>/withdraw",
        "POST",
        lambda w, p: (
            f"/supervise/cohorts/{w.cohort_id}/invitations/{p['invitation']}/withdraw"
        ),
        A_SUPERVISOR,
        prepare=fresh_invitation,
    ),
    Route(
        "/supervise/modules/<module_id>/analysis",
        "GET",
        lambda w, _p: f"/supervise/modules/{MODULE_ID}/analysis?cohort={w.cohort_id}",
        A_SUPERVISOR,
    ),
    # author
    Route("/author/", "GET", _const("/author/"), AUTHOR),
    Route("/author/analysis", "GET", _const("/author/analysis"), AUTHOR),
    Route(
        "/author/analysis/<module_id>",
        "GET",
        _const(f"/author/analysis/{MODULE_ID}"),
        AUTHOR,
    ),
    Route(
        "/author/preview/<name>", "GET", _const(f"/author/preview/{MODULE_ID}"), AUTHOR
    ),
    Route(
        "/author/preview/<name>/<item_id>",
        "GET",
        _const(f"/author/preview/{MODULE_ID}/{QUIZ}"),
        AUTHOR,
    ),
    Route(
        "/author/preview/<name>/media/<path:filename>",
        "GET",
        _const(f"/author/preview/{MODULE_ID}/media/model.png"),
        AUTHOR,
    ),
    # admin
    Route("/admin/users", "GET", _const("/admin/users"), ADMIN),
    Route(
        "/admin/users",
        "POST",
        _const("/admin/users"),
        ADMIN,
        data=lambda _w, p: {"name": "Made", "email": p["email"], "roles": ["trainee"]},
        prepare=fresh_email,
    ),
    Route(
        "/admin/users/<int:user_id>",
        "GET",
        lambda w, _p: f"/admin/users/{w.a.id}",
        ADMIN,
    ),
    Route(
        "/admin/users/<int:user_id>",
        "POST",
        lambda w, _p: f"/admin/users/{w.a.id}",
        ADMIN,
        data=lambda _w, _p: {"roles": ["trainee"]},
    ),
    Route(
        "/admin/users/<int:user_id>/active",
        "POST",
        lambda _w, p: f"/admin/users/{p['user']}/active",
        ADMIN,
        prepare=fresh_account,
    ),
    Route(
        "/admin/users/<int:user_id>/reset-email",
        "POST",
        lambda _w, p: f"/admin/users/{p['user']}/reset-email",
        ADMIN,
        prepare=fresh_account,
    ),
    Route(
        "/admin/users/<int:user_id>/cohorts",
        "POST",
        lambda _w, p: f"/admin/users/{p['user']}/cohorts",
        ADMIN,
        data=lambda w, _p: {"cohort": str(w.other_cohort_id)},
        prepare=fresh_account,
    ),
    Route(
        "/admin/users/<int:user_id>/mfa-reset",
        "POST",
        lambda _w, p: f"/admin/users/{p['user']}/mfa-reset",
        ADMIN,
        prepare=fresh_account,
    ),
    Route("/admin/audit", "GET", _const("/admin/audit"), ADMIN),
    Route("/admin/certificates", "GET", _const("/admin/certificates"), ADMIN),
    Route(
        "/admin/certificates/<int:cert_id>",
        "GET",
        lambda w, _p: f"/admin/certificates/{_certificate_id(w)}",
        ADMIN,
    ),
    Route(
        "/admin/certificates/<int:cert_id>/revoke",
        "POST",
        lambda w, _p: f"/admin/certificates/{_certificate_id(w)}/revoke",
        ADMIN,
        data=lambda _w, _p: {"reason": "Matrix check."},
    ),
    Route(
        "/admin/certificates/<int:cert_id>/reinstate",
        "POST",
        lambda w, _p: f"/admin/certificates/{_certificate_id(w)}/reinstate",
        ADMIN,
        data=lambda _w, _p: {"note": ""},
    ),
    Route("/admin/ce", "GET", _const("/admin/ce"), ADMIN),
    Route(
        "/admin/ce/<module_id>.zip", "GET", _const(f"/admin/ce/{MODULE_ID}.zip"), ADMIN
    ),
    Route("/admin/xapi", "GET", _const("/admin/xapi"), ADMIN),
)

# The authoring studio's rows (issue 15) live beside its other test helpers.
TABLE += studio_routes(Route, cells, AUTHOR, LOGIN, OK)
ROUTES = {route.key: route for route in TABLE}
assert len(ROUTES) == len(TABLE), "a route is listed twice in TABLE"


# ------------------------------------------------------------------------ running


def clone(w: World, role: str) -> User:
    """A new user with the same roles, cohort and supervision as ``role``."""
    original = w.users[role]
    with w.app.app_context():
        cohort_ids = db.session.execute(
            select(CohortMember.cohort_id).where(CohortMember.user_id == original.id)
        ).scalars()
        supervised = db.session.get(User, original.id).supervised_cohorts
        return add_user(
            tuple(sorted(original.roles)),
            cohort_id=next(iter(cohort_ids), None),
            supervises=tuple(c.id for c in supervised),
        )


#: A signed-in session cookie per staff user, reused by later cells: each
#: sign-in needs a TOTP code never used before, and the server accepts at most
#: three 30-second steps at a time, so signing staff in afresh for each of some
#: 400 cells would wait for the clock. A reused cookie whose session a cell
#: ended (sign-out) fails the check below and is replaced by a new sign-in.
_STAFF_COOKIES: dict[tuple[int, int], str] = {}


def signed_in_client(w: World, user: User | None) -> Any:
    client = w.app.test_client()
    if user is None:
        return client
    secret = getattr(user, "totp_secret", None)
    key = (id(w), user.id)
    if secret and key in _STAFF_COOKIES:
        client.set_cookie("session", _STAFF_COOKIES[key])
        if client.get("/account/password").status_code == 200:
            return client
        client = w.app.test_client()
    response = sign_in(client, user, PASSWORD)
    assert response.status_code == 302, f"sign-in as {user.email} failed"
    if secret:
        assert not needs_code(response)
        cookie = client.get_cookie("session")
        assert cookie is not None
        _STAFF_COOKIES[key] = cookie.value
    return client


def call(client: Any, method: str, url: str, data: dict[str, Any], **kw: Any) -> Any:
    response = client.open(url, method=method, data=data or None, **kw)
    # Read and close streamed bodies (CSV) as a server would, ending their context.
    response.get_data()
    response.close()
    return response


def verdict(route: Route, expect: Expect, response: Any) -> bool:
    status = response.status_code
    if expect == OK:
        return status in route.success()
    if expect == LOGIN:
        location = urlsplit(response.headers.get("Location", ""))
        return status == 302 and location.path == "/login" and "next=" in location.query
    return status == expect


def run_cell(w: World, route: Route, role: str) -> tuple[str, Any]:
    params = route.prepare(w) if route.prepare else {}
    actor = None if role == "anonymous" else w.users[role]
    if actor is not None and route.own_account:
        actor = clone(w, role)
    client = signed_in_client(w, actor)
    url = route.url(w, params)
    data = route.data(w, params) if route.data else {}
    return url, call(client, route.method, url, data)


CELLS = [
    pytest.param(route.key, role, id=f"{route.method} {route.rule} as {role}")
    for route in TABLE
    for role in ROLES
]


@pytest.mark.parametrize(("key", "role"), CELLS)
def test_access_cell(shared: World, key: tuple[str, str], role: str) -> None:
    """One route for one role gets exactly the declared answer."""
    route = ROUTES[key]
    expect = route.expect[role]
    url, response = run_cell(shared, route, role)
    location = response.headers.get("Location", "")
    assert verdict(route, expect, response), (
        f"{route.method} {url} as {role}: expected {expect!r}"
        f"{' ' + str(route.success()) if expect == OK else ''}, "
        f"got {response.status_code} {location}"
    )
    if expect not in (OK, 302):
        # A refusal says nothing about A's records.
        assert SECRET.encode() not in response.data
        assert shared.a.email.encode() not in response.data


def test_every_route_is_in_the_table(shared: World) -> None:
    """A route in the URL map without a row in TABLE fails here, by name."""
    in_map = {
        (rule.rule, method)
        for rule in shared.app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    }
    missing = sorted(in_map - ROUTES.keys())
    stale = sorted(ROUTES.keys() - in_map)
    assert not missing, f"routes missing from the access matrix TABLE: {missing}"
    assert not stale, f"TABLE rows for routes that no longer exist: {stale}"


# ------------------------------------------- extra form fields and ids in URLs


def _db(w: World, model: type[Any], ident: int) -> Any:
    with w.app.app_context():
        row = db.session.get(model, ident)
        if row is not None:
            db.session.expunge(row)
        return row


def _mailed_link(w: World, address: str, prefix: str) -> str:
    """The path starting with ``prefix`` in the latest mail to ``address``, as
    written to the shared app's development mail folder."""
    import re
    import time

    folder = Path(w.app.config["MAIL_DIR"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml"), reverse=True):
            text = path.read_text(encoding="utf-8").replace("=\n", "")
            if f"To: {address}" in text:
                match = re.search(rf"http://localhost({prefix}\S+)", text)
                assert match, text
                return match.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} in {folder}")


def test_register_ignores_role_user_and_cohort_fields(shared: World) -> None:
    email = fresh_email(shared)["email"]
    client = signed_in_client(shared, None)
    extra = {
        "role": "admin",
        "roles": ["admin", "supervisor"],
        "user_id": str(shared.a.id),
        "cohort_id": str(shared.other_cohort_id),
    }
    response = client.post(
        "/register",
        data={
            "invite_code": shared.invite_code(),
            "name": "Eve Extra",
            "email": email,
            **extra,
        },
    )
    assert response.status_code == 200
    link = _mailed_link(shared, email, "/register/confirm/")
    response = client.post(
        link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **extra}
    )
    assert response.status_code == 302
    with shared.app.app_context():
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        cohorts = {m.cohort_id for m in user.memberships}
        assert user.roles == {"trainee"}
        assert user.id != shared.a.id
        assert cohorts == {shared.cohort_id}
        assert db.session.get(User, shared.a.id).name == "Tara A"


def test_new_entry_ignores_user_id(shared: World) -> None:
    body = f"mine-{uuid.uuid4().hex}"
    client = signed_in_client(shared, shared.a)
    data = {
        "module_id": MODULE_ID,
        "body": body,
        "user_id": shared.users["trainee_b"].id,
    }
    assert client.post("/journal", data=data).status_code == 302
    with shared.app.app_context():
        owner = db.session.execute(
            select(JournalEntry.user_id).where(JournalEntry.body == body)
        ).scalar_one()
    assert owner == shared.a.id


def test_journal_edit_ignores_user_id(shared: World) -> None:
    entry = fresh_entry(shared)["entry"]
    client = signed_in_client(shared, shared.a)
    data = {"body": "Edited by A", "user_id": shared.users["trainee_b"].id}
    assert client.post(f"/journal/{entry}/edit", data=data).status_code == 302
    row = _db(shared, JournalEntry, entry)
    assert (row.user_id, row.body) == (shared.a.id, "Edited by A")


def test_add_member_ignores_cohort_id(shared: World) -> None:
    account = fresh_account(shared)
    client = signed_in_client(shared, shared.users["supervisor_a"])
    response = client.post(
        f"/supervise/cohorts/{shared.cohort_id}/members",
        data={"email": account["email"], "cohort_id": shared.other_cohort_id},
    )
    assert response.status_code == 302
    from kaptrain.models import CohortInvitation

    with shared.app.app_context():
        cohorts = set(
            db.session.execute(
                select(CohortMember.cohort_id).where(
                    CohortMember.user_id == account["user"]
                )
            ).scalars()
        )
        invited = set(
            db.session.execute(
                select(CohortInvitation.cohort_id).where(
                    CohortInvitation.email == account["email"]
                )
            ).scalars()
        )
    # Issue 13: an invitation to this cohort only; no membership until accepted.
    assert (cohorts, invited) == (set(), {shared.cohort_id})


def test_admin_roles_form_ignores_user_id(shared: World) -> None:
    target = fresh_account(shared)["user"]
    client = signed_in_client(shared, shared.users["admin"])
    response = client.post(
        f"/admin/users/{target}",
        data={"roles": ["trainee", "author"], "user_id": shared.a.id},
    )
    assert response.status_code == 302
    assert _db(shared, User, target).roles == {"trainee", "author"}
    assert _db(shared, User, shared.a.id).roles == {"trainee"}


def fresh_open_attempt(w: World) -> int:
    """A started, unsubmitted post-test attempt of A's."""
    from kaptrain.kinds.quiz.attempts import make_layout
    from kaptrain.learning.course import current_catalog

    with w.app.app_context():
        module = current_catalog().get(MODULE_ID)
        number = db.session.execute(
            select(func.coalesce(func.max(QuizAttempt.number), 0)).where(
                QuizAttempt.user_id == w.a.id, QuizAttempt.kind == "post"
            )
        ).scalar_one()
        attempt = QuizAttempt(
            user_id=w.a.id,
            module_id=MODULE_ID,
            quiz_id=QUIZ,
            kind="post",
            number=number + 1,
            module_version=module.version,
            content_hash=module.content_hash,
            layout=make_layout(module.quiz),
        )
        db.session.add(attempt)
        db.session.commit()
        return attempt.id


def _entry_unchanged(w: World, entry: int) -> None:
    row = _db(w, JournalEntry, entry)
    assert row is not None, "B deleted A's entry"
    assert (row.user_id, row.body, row.shared) == (w.a.id, "Fresh entry", False)


@pytest.mark.parametrize(
    "action", ["edit", "share", "delete", "comment-as-trainee", "run", "attempt"]
)
def test_b_cannot_change_a_records(shared: World, action: str) -> None:
    """B's POSTs to A's entry, run and attempt are 404s that change nothing."""
    client = signed_in_client(shared, shared.users["trainee_b"])
    if action in {"edit", "share", "delete"}:
        entry = fresh_entry(shared)["entry"]
        data = {"body": "B was here", "shared": "1", "user_id": shared.a.id}
        response = client.post(f"/journal/{entry}/{action}", data=data)
        assert response.status_code == 404
        _entry_unchanged(shared, entry)
    elif action == "comment-as-trainee":
        url = f"/supervise/trainees/{shared.a.id}/entries/{shared.shared_entry_id}"
        response = client.post(f"{url}/comments", data={"body": "B was here"})
        assert response.status_code == 403
    elif action == "run":
        run = fresh_run(shared)["run"]
        url = f"/modules/{MODULE_ID}/{VIGNETTE}/runs/{run}"
        response = client.post(url, data={"step": "0", "choice": "1"})
        assert response.status_code == 404
        row = _db(shared, VignetteRun, run)
        assert (row.step_count, row.current_node) == (0, "arrival")
    else:
        attempt = fresh_open_attempt(shared)
        url = f"/modules/{MODULE_ID}/{QUIZ}/attempts/{attempt}"
        response = client.post(url, data={"q-rbts-injury": "1"})
        assert response.status_code == 404
        assert _db(shared, QuizAttempt, attempt).submitted_at is None


@pytest.mark.parametrize(
    "url",
    [
        "/journal/{private}/edit",
        "/journal/{private}/delete",
        "/modules/{m}/{quiz}/attempts/{attempt}",
        "/modules/{m}/{vignette}?run={run}",
        "/certificates/{code}",
        "/certificates/{code}.pdf",
        "/certificates/{code}.json",
    ],
)
def test_b_cannot_read_a_records(shared: World, url: str) -> None:
    client = signed_in_client(shared, shared.users["trainee_b"])
    target = url.format(
        private=shared.private_entry_id,
        m=MODULE_ID,
        quiz=QUIZ,
        attempt=shared.attempt_id,
        vignette=VIGNETTE,
        run=shared.run_id,
        code=shared.certificate_code,
    )
    response = call(client, "GET", target, {})
    assert response.status_code == 404
    assert SECRET.encode() not in response.data
    assert b"Tara A" not in response.data


# ------------------------------------------- unshared reflections stay private


def _marker_entries(w: World, marker: str) -> None:
    """Three unshared texts of A's: a free entry, a case reflection, and an entry
    that was shared and then made private again (with a supervisor's comment)."""
    from kaptrain.models import JournalComment

    run = fresh_run(w)["run"]
    with w.app.app_context():
        free = JournalEntry(
            user_id=w.a.id, module_id=MODULE_ID, body=f"{marker} free", shared=False
        )
        reflection = JournalEntry(
            user_id=w.a.id,
            module_id=MODULE_ID,
            vignette_id=VIGNETTE,
            run_id=run,
            node_id="noticing",
            prompt="What did you notice?",
            body=f"{marker} reflection",
            shared=False,
        )
        withdrawn = JournalEntry(
            user_id=w.a.id, module_id=MODULE_ID, body=f"{marker} withdrawn", shared=True
        )
        db.session.add_all([free, reflection, withdrawn])
        db.session.flush()
        db.session.add(
            JournalComment(
                entry_id=withdrawn.id,
                author_id=w.users["supervisor_a"].id,
                body="A supervisor's comment",
            )
        )
        withdrawn.shared = False
        db.session.commit()


@pytest.mark.parametrize("role", ["supervisor_a", "supervisor_other", "admin"])
def test_unshared_text_is_absent_from_every_page_a_supervisor_reaches(
    shared: World, role: str
) -> None:
    """Every GET route of the table, as HTML and as JSON, lacks the marker."""
    marker = f"UNSHARED-{uuid.uuid4().hex}"
    _marker_entries(shared, marker)
    owner = signed_in_client(shared, shared.a)
    assert marker.encode() in call(owner, "GET", "/journal", {}).data
    client = signed_in_client(shared, shared.users[role])
    seen = []
    for route in TABLE:
        if route.method != "GET":
            continue
        params = route.prepare(shared) if route.prepare else {}
        url = route.url(shared, params)
        for accept in ("text/html", "application/json"):
            response = call(client, "GET", url, {}, headers={"Accept": accept})
            seen.append((url, response.status_code))
            assert marker.encode() not in response.data, f"{url} ({accept}) shows it"
    # The supervisor of A's cohort did reach A's pages and exports.
    if role == "supervisor_a":
        assert (f"/supervise/trainees/{shared.a.id}", 200) in seen
        assert (
            f"/supervise/cohorts/{shared.cohort_id}/export/attempts.csv",
            200,
        ) in seen
