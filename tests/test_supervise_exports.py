"""CSV exports: columns, encoding, escaping, audit, and a fixed query count."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from kaptrain.extensions import db
from kaptrain.learning.progress import queries as progress
from kaptrain.models import AuditEvent, Certificate, CohortMember, User, UserRole
from kaptrain.web.supervise import exports
from kaptrain.web.supervise.exports import ATTEMPT_COLUMNS, PROGRESS_COLUMNS, cell
from tests import test_supervise_support as support
from tests.test_supervise_support import SECRET, World, count_queries

pytestmark = pytest.mark.content("complete-module")
world = support.world


def _csv(client: FlaskClient, url: str) -> tuple[Any, list[dict[str, str]]]:
    response = client.get(url)
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    return response, list(csv.DictReader(io.StringIO(text)))


def test_progress_csv(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    response, rows = _csv(
        client, f"/supervise/cohorts/{world.cohort.id}/export/progress.csv"
    )
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="cohort-{world.cohort.id}-progress-'
    )
    assert list(rows[0]) == list(PROGRESS_COLUMNS)
    assert [r["email"] for r in rows] == sorted([world.trainee.email, world.peer.email])
    tara = next(r for r in rows if r["email"] == world.trainee.email)
    assert tara == {
        "email": world.trainee.email,
        "name": "Tara Trainee",
        "module_id": "complete-module",
        "module_version": "1.0.0",
        "status": "completed",
        "lessons_done": "2",
        "lessons_total": "2",
        "pretest_score": "50",
        "pretest_skipped": "no",
        "best_post_score": "83.33",
        "post_attempts": "1",
        "passed_at": "2025-03-02T09:05:00Z",
        "ce_hours": "1.00",
        "certificate_code": f"KT-{world.trainee.id:04d}-ABCD",
        "completed_at": "2025-03-02T11:00:00Z",
        "first_activity": "2025-03-01T09:00:00Z",
        "last_activity": "2025-03-02T11:00:00Z",
    }
    pat = next(r for r in rows if r["email"] == world.peer.email)
    assert pat["status"] == "not_started" and pat["best_post_score"] == ""


@pytest.mark.parametrize("rows_per_fetch", [1, 3])
def test_progress_csv_streams_in_step(
    app: Flask,
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    rows_per_fetch: int,
) -> None:
    """Rows, certificate versions and progress stay with their trainee when every
    query is read a few rows at a time."""
    _grow_cohort(app, world, 12)
    with app.app_context():
        bulk = db.session.execute(
            select(User.id, User.email).where(User.email.like("bulk%"))
        ).all()
        certified = {email for n, (_uid, email) in enumerate(bulk) if n % 3 == 0}
        for n, (user_id, _email) in enumerate(bulk):
            if n % 3 == 0:
                db.session.add(
                    Certificate(
                        code=f"KT-OLD-{user_id:04d}",
                        user_id=user_id,
                        module_id="complete-module",
                        module_version="0.9.0",
                        module_title="Old",
                        trainee_name="X",
                        ce_hours=Decimal("1.00"),
                        provider_name="P",
                        completed_at=support.T0,
                    )
                )
        db.session.commit()
    monkeypatch.setattr(
        progress, "STREAM_ROWS", dict.fromkeys(progress.STREAM_ROWS, rows_per_fetch)
    )
    monkeypatch.setattr(exports, "VERSION_ROWS", rows_per_fetch)
    login(world.supervisor)
    _response, rows = _csv(
        client, f"/supervise/cohorts/{world.cohort.id}/export/progress.csv"
    )
    assert [r["email"] for r in rows] == sorted(r["email"] for r in rows)
    assert len(rows) == 12
    for row in rows:
        old = row["email"] in certified
        assert row["module_version"] == ("0.9.0" if old else "1.0.0"), row["email"]
        if old:
            assert row["status"] == "completed"
            assert row["certificate_code"].startswith("KT-OLD-")
        elif row["email"].startswith("bulk"):
            # Each bulk trainee has one post-test attempt (see _grow_cohort).
            assert row["status"] == "in_progress" and row["post_attempts"] == "1"
    tara = next(r for r in rows if r["email"] == world.trainee.email)
    assert tara["certificate_code"] == f"KT-{world.trainee.id:04d}-ABCD"


def test_attempts_csv(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    _, rows = _csv(client, f"/supervise/cohorts/{world.cohort.id}/export/attempts.csv")
    assert list(rows[0]) == list(ATTEMPT_COLUMNS)
    # Tara: a pre and a post attempt, six items each; Otto is in another cohort.
    assert len(rows) == 12
    assert {r["email"] for r in rows} == {world.trainee.email}
    assert [r["kind"] for r in rows[:6]] == ["pre"] * 6
    micro = next(
        r for r in rows if r["kind"] == "post" and r["question_id"] == "micro-kinds"
    )
    assert (micro["answer"], micro["item_correct"], micro["item_position"]) == (
        "a;c",
        "no",
        "2",
    )
    order = next(r for r in rows if r["question_id"] == "opening-steps")
    assert order["answer"] == "b;a;c"
    assert micro["submitted_at"] == "2025-03-02T09:05:00Z"


def test_skipped_pretest_is_one_row_without_items(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    with app.app_context():
        support.add_attempt(world.peer.id, "pre", 1, None, skipped=True)
        db.session.commit()
    login(world.supervisor)
    _, rows = _csv(client, f"/supervise/cohorts/{world.cohort.id}/export/attempts.csv")
    pat = [r for r in rows if r["email"] == world.peer.email]
    assert len(pat) == 1
    assert (pat[0]["skipped"], pat[0]["question_id"], pat[0]["score"]) == (
        "yes",
        "",
        "",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ann O'Neil, PhD", "Ann O'Neil, PhD"),
        ("Zoë Ünal 山田", "Zoë Ünal 山田"),
    ],
)
def test_cells_are_neutralised(value: str, expected: str) -> None:
    assert cell(value) == expected


def test_formula_name_is_neutralised_in_export(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    with app.app_context():
        user = db.session.get(User, world.peer.id)
        assert user is not None
        user.name = '=cmd|"/c calc"!A1, "Zoë"'
        db.session.commit()
    login(world.supervisor)
    _, rows = _csv(client, f"/supervise/cohorts/{world.cohort.id}/export/progress.csv")
    names = {r["name"] for r in rows}
    assert '\'=cmd|"/c calc"!A1, "Zoë"' in names


@pytest.mark.parametrize("what", ["progress", "attempts"])
def test_exports_never_contain_reflections(
    client: FlaskClient, login: Callable[..., Any], world: World, what: str
) -> None:
    login(world.admin)
    response = client.get(f"/supervise/cohorts/{world.cohort.id}/export/{what}.csv")
    assert SECRET.encode() not in response.get_data()
    assert b"shoulders" not in response.get_data()


@pytest.mark.parametrize("what", ["progress", "attempts"])
def test_exports_are_audited(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World, what: str
) -> None:
    login(world.supervisor)
    client.get(f"/supervise/cohorts/{world.cohort.id}/export/{what}.csv").get_data()
    with app.app_context():
        event = db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "export")
        ).scalar_one()
    assert event.actor_id == world.supervisor.id
    assert event.detail == f"{what}.csv cohort={world.cohort.id}"


def _grow_cohort(app: Flask, world: World, size: int) -> None:
    """Fill the supervised cohort to ``size`` trainees, each with an attempt."""
    with app.app_context():
        existing = 2
        for n in range(size - existing):
            user_id = db.session.execute(
                insert(User)
                .values(
                    email=f"bulk{n}@example.org",
                    name=f"Bulk {n}",
                    password_hash="x",
                    active=True,
                )
                .returning(User.id)
            ).scalar_one()
            db.session.execute(insert(UserRole).values(user_id=user_id, role="trainee"))
            db.session.execute(
                insert(CohortMember).values(cohort_id=world.cohort.id, user_id=user_id)
            )
            support.add_attempt(user_id, "post", 1, {"rbts-injury": n % 2 == 0})
        db.session.commit()


def _queries_for(app: Flask, client: FlaskClient, url: str) -> int:
    client.get(url).get_data()  # warm-up: first-request work is not counted
    with count_queries(app) as statements:
        response = client.get(url)
        response.get_data()
        response.close()
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize(
    "path", ["", "/export/progress.csv", "/export/attempts.csv", "/members", "/gain"]
)
def test_query_count_does_not_grow_with_cohort(
    app: Flask,
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    path: str,
) -> None:
    login(world.supervisor)
    url = f"/supervise/cohorts/{world.cohort.id}{path}"
    _grow_cohort(app, world, 5)
    small = _queries_for(app, client, url)
    _grow_cohort_more(app, world)
    large = _queries_for(app, client, url)
    assert small == large, (small, large)
    assert small > 3


def test_dashboard_query_count_is_the_same_on_every_page(
    app: Flask,
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
) -> None:
    login(world.supervisor)
    url = f"/supervise/cohorts/{world.cohort.id}"
    _grow_cohort(app, world, 5)
    one_page = _queries_for(app, client, url)
    _grow_cohort_more(app, world)  # 200 trainees: four pages of 50
    for query in (
        "?page=1",
        "?page=3",
        "?page=4&sort=progress",
        "?page=2&sort=activity&status=in_progress",
        "?page=999",
        "?page=x",
    ):
        assert _queries_for(app, client, url + query) == one_page, query


def _grow_cohort_more(app: Flask, world: World) -> None:
    with app.app_context():
        count = db.session.execute(
            select(CohortMember.user_id).where(
                CohortMember.cohort_id == world.cohort.id
            )
        ).all()
    assert len(count) == 5
    # 195 more trainees, created in bulk so the test stays fast.
    with app.app_context():
        ids = []
        for n in range(195):
            ids.append(
                db.session.execute(
                    insert(User)
                    .values(
                        email=f"more{n}@example.org",
                        name=f"More {n}",
                        password_hash="x",
                        active=True,
                    )
                    .returning(User.id)
                ).scalar_one()
            )
        db.session.execute(
            insert(CohortMember),
            [{"cohort_id": world.cohort.id, "user_id": uid} for uid in ids],
        )
        for uid in ids:
            support.add_attempt(uid, "post", 1, {"micro-kinds": uid % 3 == 0})
        db.session.commit()
        total = db.session.execute(
            select(CohortMember.user_id).where(
                CohortMember.cohort_id == world.cohort.id
            )
        ).all()
    assert len(total) == 200
