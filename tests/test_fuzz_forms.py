"""Fuzzing every form handler: no input, however odd, produces a server error.

Hypothesis sends random, missing, duplicated and out-of-range values (text with
NULs and any other non-surrogate character, huge texts, numbers far beyond any
id, unknown field names) through the test client; every answer must be < 500.
One app and world per test (the examples share it, which is fine: the property
holds whatever state earlier examples left behind).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaptrain.extensions import db
from kaptrain.models import EvaluationResponse, QuizAttempt, VignetteRun
from tests import test_supervise_support as support
from tests.support.learn import MODULE_ID
from tests.support.settings import PASSWORD
from tests.test_supervise_support import World

pytestmark = pytest.mark.content("complete-module")
world = support.world

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Any character but lone surrogates (which no browser can send), NUL included.
text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200)
huge = st.integers(0, 40_000).map(lambda n: "ä" * n)
number = st.integers(-(10**20), 10**20).map(str)
odd = st.sampled_from(["", " ", "0", "1", "2", "3", "99", "-1", "1e9", "NaN", "\x00"])
value = st.one_of(text, number, odd, huge)
values = st.lists(value, max_size=4)  # a field sent 0..4 times (duplicates)
big_id = st.one_of(st.integers(0, 10), st.integers(0, 10**20))


def form(*names: str) -> st.SearchStrategy[dict[str, list[str]]]:
    """Each named field sent zero or more times, plus a few unknown fields."""
    known = st.fixed_dictionaries({}, optional=dict.fromkeys(names, values))
    extra = st.dictionaries(text, values, max_size=3)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


def ok(response: Any) -> None:
    response.get_data()
    response.close()
    assert response.status_code < 500, response.status_code


@pytest.fixture
def as_(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> Callable[[str], FlaskClient]:
    """Sign the client in as one of the world's people."""

    def sign_in(who: str) -> FlaskClient:
        login(getattr(world, who))
        return client

    return sign_in


# ----------------------------------------------------------------- auth, account


@FUZZ
@given(
    data=form("invite_code", "name", "email", "password", "confirm"),
    real=st.booleans(),
)
def test_register(
    client: FlaskClient, world: World, data: dict[str, Any], real: bool
) -> None:
    if real:
        data["invite_code"] = [world.cohort.invite_code]
    ok(client.post("/register", data=data))


@FUZZ
@given(data=form("email", "password", "remember"), next_=text)
def test_login(client: FlaskClient, data: dict[str, Any], next_: str) -> None:
    ok(client.post(f"/login?next={quote(next_)}", data=data))


@FUZZ
@given(data=form("current", "password", "confirm"), real=st.booleans())
def test_password_change(
    as_: Callable[[str], FlaskClient], data: dict[str, Any], real: bool
) -> None:
    client = as_("trainee")
    if real:
        data["current"] = [PASSWORD]
    ok(client.post("/account/password", data=data))


@FUZZ
@given(data=form("password", "confirm"), token=st.one_of(text, st.just("real")))
def test_password_reset(
    app: Flask, client: FlaskClient, world: World, data: dict[str, Any], token: str
) -> None:
    if token == "real":
        from kaptrain.models import User
        from kaptrain.people.resets import issue_reset_link

        with app.app_context():
            token = issue_reset_link(
                db.session.get(User, world.admin.id),
                db.session.get(User, world.peer.id),
            )
            db.session.commit()  # issue_reset_link leaves the commit to its caller
    ok(client.post(f"/reset/{quote(token, safe='')}", data=data))


@FUZZ
@given(data=form("password", "confirm"), token=st.one_of(text, st.just("real")))
def test_register_confirm(
    app: Flask, client: FlaskClient, world: World, data: dict[str, Any], token: str
) -> None:
    if token == "real":
        from kaptrain.people.registration import _register_serializer

        with app.test_request_context():
            token = _register_serializer().dumps(
                {"c": world.cohort.id, "e": "fuzz@example.org", "n": "Fuzz"}
            )
    ok(client.post(f"/register/confirm/{quote(token, safe='')}", data=data))


@FUZZ
@given(data=form("email"))
def test_forgot_password(client: FlaskClient, data: dict[str, Any]) -> None:
    ok(client.post("/forgot", data=data))


@FUZZ
@given(data=form("password", "confirm"))
def test_account_delete(
    as_: Callable[[str], FlaskClient], data: dict[str, Any]
) -> None:
    ok(as_("peer").post("/account/delete", data=data))


@FUZZ
@given(data=form("code"), next_=text)
def test_second_sign_in_step(
    client: FlaskClient, world: World, data: dict[str, Any], next_: str
) -> None:
    """A session that owes its code: the code form and the passkey answer."""
    client.post("/login", data={"email": world.supervisor.email, "password": PASSWORD})
    ok(client.post(f"/login/mfa?next={quote(next_)}", data=data))
    ok(client.post("/login/mfa/passkey", data={"credential": data.get("code", [])}))


@FUZZ
@given(data=form("password", "code"), setup=form("code"), next_=text)
def test_confirm_and_mfa_setup(
    as_: Callable[[str], FlaskClient],
    data: dict[str, Any],
    setup: dict[str, Any],
    next_: str,
) -> None:
    client = as_("trainee")
    ok(client.post(f"/account/confirm?next={quote(next_)}", data=data))
    ok(client.post("/account/mfa/setup", data=setup))
    ok(client.post("/account/mfa/passkeys", data={"credential": setup.get("code")}))


# ---------------------------------------------------------------------- journal


@FUZZ
@given(data=form("module_id", "body", "shared"), real_module=st.booleans())
def test_journal_new_entry(
    as_: Callable[[str], FlaskClient], data: dict[str, Any], real_module: bool
) -> None:
    if real_module:
        data["module_id"] = [MODULE_ID]
    ok(as_("trainee").post("/journal", data=data))


@FUZZ
@given(
    data=form("body", "shared", "user_id"),
    action=st.sampled_from(["edit", "share", "delete"]),
    entry=st.one_of(big_id, st.just(-1)),
)
def test_journal_entry_actions(
    as_: Callable[[str], FlaskClient],
    world: World,
    data: dict[str, Any],
    action: str,
    entry: int,
) -> None:
    target = world.private_entry_id if entry == -1 else entry
    ok(as_("trainee").post(f"/journal/{target}/{action}", data=data))


# ------------------------------------------------- quiz, vignette, evaluation

QUESTIONS = (
    "rbts-injury",
    "micro-kinds",
    "injury-not-disorder",
    "opening-steps",
    "default-single",
    "second-single",
)
QUIZ_FIELDS = [f"q-{q}" for q in QUESTIONS] + [
    f"q-opening-steps-{n}" for n in range(0, 5)
]


def _open_attempt(app: Flask, user_id: int) -> int:
    """A fresh, unsubmitted post-test attempt (inserted directly, no waiting)."""
    from sqlalchemy import func, select

    from kaptrain.kinds.quiz.attempts import make_layout
    from kaptrain.learning.course import current_catalog

    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        number = db.session.execute(
            select(func.coalesce(func.max(QuizAttempt.number), 0)).where(
                QuizAttempt.user_id == user_id
            )
        ).scalar_one()
        attempt = QuizAttempt(
            user_id=user_id,
            module_id=MODULE_ID,
            quiz_id=module.quiz.id,
            kind="post",
            number=number + 1,
            module_version=module.version,
            content_hash=module.content_hash,
            layout=make_layout(module.quiz),
        )
        db.session.add(attempt)
        db.session.commit()
        return attempt.id


@FUZZ
@given(data=form(*QUIZ_FIELDS), attempt=st.one_of(big_id, st.just(-1)))
def test_quiz_submit(
    app: Flask,
    as_: Callable[[str], FlaskClient],
    world: World,
    data: dict[str, Any],
    attempt: int,
) -> None:
    client = as_("peer")
    target = _open_attempt(app, world.peer.id) if attempt == -1 else attempt
    url = f"/modules/{MODULE_ID}/post-test/attempts/{target}"
    ok(client.post(url, data=data))
    ok(client.get(url))


@FUZZ
@given(
    data=form("kind"),
    action=st.sampled_from(["start", "skip-pretest", "runs"]),
    item=st.sampled_from(["post-test", "first-session", "microaggressions", "x"]),
)
def test_quiz_and_case_start(
    as_: Callable[[str], FlaskClient], data: dict[str, Any], action: str, item: str
) -> None:
    ok(as_("peer").post(f"/modules/{MODULE_ID}/{item}/{action}", data=data))


def _open_run(app: Flask, user_id: int, node: str) -> int:
    from sqlalchemy import func, select

    from kaptrain.learning.course import current_catalog

    with app.app_context():
        module = current_catalog().get(MODULE_ID)
        number = db.session.execute(
            select(func.coalesce(func.max(VignetteRun.number), 0)).where(
                VignetteRun.user_id == user_id
            )
        ).scalar_one()
        run = VignetteRun(
            user_id=user_id,
            module_id=MODULE_ID,
            vignette_id="first-session",
            number=number + 1,
            module_version=module.version,
            content_hash=module.content_hash,
            current_node=node,
        )
        db.session.add(run)
        db.session.commit()
        return run.id


@FUZZ
@given(
    data=form("step", "choice", "node", "reflection", "skip"),
    node=st.sampled_from(["arrival", "agenda", "noticing", "checklist", "close"]),
    run=st.one_of(big_id, st.just(-1)),
    after=st.one_of(number, odd, text),
)
def test_vignette_moves(
    app: Flask,
    as_: Callable[[str], FlaskClient],
    world: World,
    data: dict[str, Any],
    node: str,
    run: int,
    after: str,
) -> None:
    client = as_("peer")
    target = _open_run(app, world.peer.id, node) if run == -1 else run
    base = f"/modules/{MODULE_ID}/first-session"
    ok(client.post(f"{base}/runs/{target}", data=data))
    ok(client.get(f"{base}?run={quote(str(target))}&after={quote(after)}"))


@FUZZ
@given(
    data=form("rating-objectives-met", "rating-relevant", "comment-improve"),
    comment=st.one_of(text, huge),
)
def test_evaluation(
    app: Flask,
    as_: Callable[[str], FlaskClient],
    world: World,
    data: dict[str, Any],
    comment: str,
) -> None:
    client = as_("peer")
    with app.app_context():  # so every example reaches the parser, not "already sent"
        db.session.query(EvaluationResponse).filter_by(user_id=world.peer.id).delete()
        db.session.commit()
    data.setdefault("comment-improve", [comment])
    ok(client.post(f"/modules/{MODULE_ID}/course-evaluation/evaluation", data=data))


# ---------------------------------------------------------------- supervise


@FUZZ
@given(
    data=form("name", "email"),
    action=st.sampled_from(["create", "name", "members", "invite"]),
    cohort=st.one_of(big_id, st.just(-1)),
)
def test_cohort_forms(
    as_: Callable[[str], FlaskClient],
    world: World,
    data: dict[str, Any],
    action: str,
    cohort: int,
) -> None:
    client = as_("supervisor")
    target = world.cohort.id if cohort == -1 else cohort
    url = (
        "/supervise/cohorts"
        if action == "create"
        else f"/supervise/cohorts/{target}/{action}"
    )
    ok(client.post(url, data=data))


@FUZZ
@given(
    user=st.one_of(big_id, st.just(-1)),
    cohort=st.one_of(big_id, st.just(-1)),
    data=form("user_id"),
)
def test_remove_member(
    as_: Callable[[str], FlaskClient],
    world: World,
    user: int,
    cohort: int,
    data: dict[str, Any],
) -> None:
    user_id = world.peer.id if user == -1 else user
    cohort_id = world.cohort.id if cohort == -1 else cohort
    url = f"/supervise/cohorts/{cohort_id}/members/{user_id}/remove"
    ok(as_("supervisor").post(url, data=data))


@FUZZ
@given(
    body=st.one_of(text, huge),
    entry=st.one_of(big_id, st.sampled_from([-1, -2])),
    user=st.one_of(big_id, st.just(-1)),
)
def test_comment(
    as_: Callable[[str], FlaskClient], world: World, body: str, entry: int, user: int
) -> None:
    entry_id = {-1: world.shared_entry_id, -2: world.private_entry_id}.get(entry, entry)
    user_id = world.trainee.id if user == -1 else user
    url = f"/supervise/trainees/{user_id}/entries/{entry_id}/comments"
    data = {f"entry-{entry_id}-body": body, "body": body}
    ok(as_("supervisor").post(url, data=data))


# -------------------------------------------------------------------- admin


@FUZZ
@given(data=form("name", "email", "roles"))
def test_admin_create_user(
    as_: Callable[[str], FlaskClient], data: dict[str, Any]
) -> None:
    ok(as_("admin").post("/admin/users", data=data))


@FUZZ
@given(
    roles=st.lists(
        st.one_of(st.sampled_from(["trainee", "supervisor", "author", "admin"]), text),
        max_size=5,
    ),
    user=st.one_of(big_id, st.just(-1)),
    action=st.sampled_from(["", "/active", "/reset-email", "/cohorts"]),
)
def test_admin_user_forms(
    as_: Callable[[str], FlaskClient],
    world: World,
    roles: list[str],
    user: int,
    action: str,
) -> None:
    user_id = world.trainee.id if user == -1 else user
    ok(
        as_("admin").post(
            f"/admin/users/{user_id}{action}",
            data={"roles": roles, "cohort": roles[0] if roles else ""},
        )
    )


@FUZZ
@given(value=st.one_of(number, odd, text, st.sampled_from(["²", "١٢", "2147483648"])))
def test_id_query_parameters(
    as_: Callable[[str], FlaskClient], world: World, value: str
) -> None:
    """Ids typed into query strings (a run, a step, a cohort) never reach the
    database unchecked: PostgreSQL refuses integers beyond its INTEGER range."""
    client = as_("admin")
    q = quote(value, safe="")
    ok(client.get(f"/supervise/modules/{MODULE_ID}/analysis?cohort={q}"))
    ok(client.get(f"/modules/{MODULE_ID}/first-session?run={q}&after={q}"))
    ok(client.get(f"/admin/audit?page={q}&who={q}&action={q}"))
    ok(client.get(f"/supervise/cohorts/{world.cohort.id}?sort={q}&status={q}"))


@pytest.mark.parametrize(
    "url",
    [
        "/journal/2147483648/edit",
        "/supervise/trainees/99999999999999999999",
        f"/modules/{MODULE_ID}/post-test/attempts/2147483648",
        f"/supervise/modules/{MODULE_ID}/analysis?cohort=2147483648",
    ],
)
def test_ids_beyond_the_integer_range_are_404(
    as_: Callable[[str], FlaskClient], url: str
) -> None:
    response = as_("admin").get(url)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("GET", "/admin/audit?who=a%00b", None),
        ("GET", "/admin/users?q=%00", None),
        ("POST", "/login", {"email": "a\x00@example.org", "password": "x"}),
        ("POST", "/journal", {"module_id": MODULE_ID, "body": "nul \x00 here"}),
        ("GET", "/verify/KT%00", None),
    ],
)
def test_nul_characters_are_refused_with_400(
    as_: Callable[[str], FlaskClient], method: str, url: str, data: Any
) -> None:
    """PostgreSQL cannot store NUL; a request carrying one is malformed (400)."""
    response = as_("admin").open(url, method=method, data=data)
    assert response.status_code == 400
