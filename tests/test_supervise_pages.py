"""The cohort dashboard, knowledge gain page, trainee detail, replays and comments."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kaptrain.extensions import db
from kaptrain.models import AuditEvent, JournalComment, JournalEntry, User
from kaptrain.web.supervise import dashboard
from tests import test_supervise_support as support
from tests.test_supervise_support import SECRET, SHARED, T0, World, add_attempt

pytestmark = pytest.mark.content("complete-module")
MODULE = "complete-module"
world = support.world


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _rows(html: str) -> list[str]:
    """Trainee names in the dashboard matrix, in order."""
    body = html.split('class="matrix"', 1)[1]
    return re.findall(
        r'<th scope="row"><a href="/supervise/trainees/\d+">([^<]+)</a>', body
    )


def test_dashboard_cells_use_text_and_legend(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = _get(client, f"/supervise/cohorts/{world.cohort.id}")
    # Tara: certificate, best post-test 5 of 6 = 83%; Pat: nothing.
    assert '<span class="badge badge-done">Completed</span>' in html
    assert "Best post-test: 83% (1 attempt), passed" in html
    assert '<span class="badge badge-todo">Not started</span>' in html
    assert "How to read the table" in html
    assert "Otto Outsider" not in html


def test_dashboard_summary(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = _get(client, f"/supervise/cohorts/{world.cohort.id}")
    # 1 of 2 completed; mean best post 83%; Tara's pre 3/6 = 50 -> post 83.33:
    # gain +33.3 points, normalised 33.33 / 50 = 0.67.
    assert "1 of 2 (50%)" in html
    assert '83% <span class="meta">(1 took it)</span>' in html
    assert "+33.3" in html and "+0.67" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=name", ["Pat Peer", "Tara Trainee"]),
        ("sort=progress", ["Tara Trainee", "Pat Peer"]),
        ("sort=activity", ["Tara Trainee", "Pat Peer"]),
        ("status=completed", ["Tara Trainee"]),
        ("status=not_started&module=complete-module", ["Pat Peer"]),
        ("status=in_progress", []),
        ("sort=bogus&status=bogus&module=bogus", ["Pat Peer", "Tara Trainee"]),
    ],
)
def test_dashboard_sort_and_filter(
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    query: str,
    expected: list[str],
) -> None:
    login(world.supervisor)
    html = _get(client, f"/supervise/cohorts/{world.cohort.id}?{query}")
    if expected:
        assert _rows(html) == expected
    else:
        assert "No trainee matches that filter." in html
    if "bogus" in query:
        assert "choose one of the listed" in html


def _third_trainee(make_user: Callable[..., User], world: World) -> None:
    make_user(name="Quinn Quiet", cohort=world.cohort)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Pat Peer", "Quinn Quiet", "Tara Trainee"]),
        ("progress", ["Tara Trainee", "Pat Peer", "Quinn Quiet"]),
        ("activity", ["Tara Trainee", "Quinn Quiet", "Pat Peer"]),
    ],
)
def test_dashboard_pages_follow_the_order_of_the_whole_cohort(
    client: FlaskClient,
    login: Callable[..., Any],
    make_user: Callable[..., User],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    sort: str,
    expected: list[str],
) -> None:
    _third_trainee(make_user, world)
    login(world.supervisor)
    url = f"/supervise/cohorts/{world.cohort.id}?sort={sort}"
    assert _rows(_get(client, url)) == expected  # one page of 50
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    first = _get(client, url)
    second = _get(client, f"{url}&page=2")
    assert _rows(first) + _rows(second) == expected
    assert "Showing trainees 1 to 2 of 3, page 1 of 2." in first
    assert "Showing trainees 3 to 3 of 3, page 2 of 2." in second
    # The summary still covers everyone, whatever the page.
    assert "1 of 3 (33%)" in first and "1 of 3 (33%)" in second


def _pager(html: str, where: str) -> str:
    start = html.index(f'<nav aria-label="Trainee pages ({where} the table)"')
    return html[start : html.index("</nav>", start)]


def test_dashboard_pager_keeps_sort_and_filter(
    client: FlaskClient,
    login: Callable[..., Any],
    make_user: Callable[..., User],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _third_trainee(make_user, world)
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 1)
    login(world.supervisor)
    base = f"/supervise/cohorts/{world.cohort.id}"
    html = _get(
        client, f"{base}?sort=progress&status=not_started&module={MODULE}&page=2"
    )
    # Pat and Quinn have not started the module: two pages of one.
    assert _rows(html) == ["Quinn Quiet"]
    assert (
        "Showing trainees 2 to 2 of 2 matching (3 in the cohort), page 2 of 2." in html
    )
    for where in ("above", "below"):
        nav = _pager(html, where)
        query = f"sort=progress&amp;status=not_started&amp;module={MODULE}"
        assert (
            f'<a href="{base}?{query}&amp;page=1" rel="prev">Previous page</a>' in nav
        )
        assert (
            f'<a href="{base}?{query}&amp;page=2" aria-current="page">'
            '<span class="visually-hidden">Page </span>2</a>'
        ) in nav
        assert "Next page" not in nav  # the last page
        assert nav.count("aria-current") == 1
    assert "(page 2 of 2)</caption>" in html
    # Default sort and filter stay out of the links.
    first = _get(client, f"{base}?page=1")
    assert f'<a href="{base}?page=2" rel="next">Next page</a>' in _pager(first, "above")
    assert "Previous page" not in _pager(first, "above")


def test_dashboard_single_page_has_no_pager(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = _get(client, f"/supervise/cohorts/{world.cohort.id}")
    assert "Trainee pages" not in html
    assert "Showing trainees 1 to 2 of 2." in html


@pytest.mark.parametrize(
    ("page", "shown", "notice"),
    [
        (
            "abc",
            "Pat Peer",
            "Showing page 1: page numbers are whole numbers from 1 to 3.",
        ),
        ("", "Pat Peer", "Showing page 1: page numbers are whole numbers from 1 to 3."),
        (
            "1.5",
            "Pat Peer",
            "Showing page 1: page numbers are whole numbers from 1 to 3.",
        ),
        (
            "-1",
            "Pat Peer",
            "Showing page 1: page numbers are whole numbers from 1 to 3.",
        ),
        (
            "%D9%A3",
            "Pat Peer",
            "Showing page 1: page numbers are whole numbers from 1 to 3.",
        ),
        ("0", "Pat Peer", "There is no page 0: showing page 1 of 3."),
        ("4", "Tara Trainee", "There is no page 4: showing page 3 of 3."),
        ("2147483648", "Tara Trainee", "There is no such page: showing page 3 of 3."),
        # Issue 13: a URL over 4 KB is answered 414 (tests/test_long_urls.py), so
        # the huge number is as long as a URL may be.
        ("9" * 4000, "Tara Trainee", "There is no such page: showing page 3 of 3."),
        ("3", "Tara Trainee", None),
    ],
)
def test_dashboard_bad_page_numbers_are_explained(
    client: FlaskClient,
    login: Callable[..., Any],
    make_user: Callable[..., User],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    shown: str,
    notice: str | None,
) -> None:
    _third_trainee(make_user, world)
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 1)
    login(world.supervisor)
    html = _get(client, f"/supervise/cohorts/{world.cohort.id}?page={page}")
    assert _rows(html) == [shown]
    if notice is None:
        assert 'class="callout" role="status"' not in html
    else:
        assert f'<p class="callout" role="status">{notice}</p>' in html


def test_dashboard_page_of_an_empty_filter(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = _get(
        client, f"/supervise/cohorts/{world.cohort.id}?status=in_progress&page=7"
    )
    assert "No trainee matches that filter." in html
    assert "There is no page 7: showing page 1 of 1." in html


def test_gain_page(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = _get(client, f"/supervise/cohorts/{world.cohort.id}/gain")
    assert "<dd>1 of 2</dd>" in html
    assert "<dd>50%</dd>" in html and "<dd>83%</dd>" in html
    assert "+33.3" in html and "+0.67" in html


def test_gain_uses_first_post_test_and_excludes_perfect_pretest(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    with app.app_context():
        # Pat: pre 100, post 5/6; a retake of Tara's post at 100 is ignored.
        add_attempt(world.peer.id, "pre", 1, {}, at=T0)
        add_attempt(world.peer.id, "post", 1, {"micro-kinds": False}, at=T0)
        add_attempt(world.trainee.id, "post", 2, {}, at=T0 + dt.timedelta(days=2))
        db.session.commit()
    login(world.supervisor)
    html = _get(client, f"/supervise/cohorts/{world.cohort.id}/gain")
    # Gains: Tara 83.33 - 50 = 33.33, Pat 83.33 - 100 = -16.67; mean 8.33.
    # Normalised: Tara 0.67; Pat excluded (pre 100) -> mean 0.67.
    assert "+8.3" in html
    assert "(1 left out: pre-test 100%)" in html
    assert "not defined (pre-test 100%)" in html


def test_trainee_page_shows_shared_never_private(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = _get(client, f"/supervise/trainees/{world.trainee.id}")
    assert "I noticed my shoulders tighten &lt;b&gt;when&lt;/b&gt; Dana spoke." in html
    assert SECRET not in html
    assert 'class="usertext"' in html


def test_opening_shared_reflections_is_audited(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    _get(client, f"/supervise/trainees/{world.trainee.id}")
    _get(client, f"/supervise/trainees/{world.peer.id}")  # nothing shared
    with app.app_context():
        events = (
            db.session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "shared_reflections_viewed"
                )
            )
            .scalars()
            .all()
        )
        assert [(e.actor_id, e.subject_id) for e in events] == [
            (world.supervisor.id, world.trainee.id)
        ]
        assert SHARED not in events[0].detail


def test_module_page_replays_the_run(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = _get(
        client, f"/supervise/trainees/{world.trainee.id}/modules/complete-module"
    )
    replay = html.split('class="replay"', 1)[1].split("</ol>", 1)[0]
    # Scene by scene: the avoid choice, Continue, then the best choices.
    assert replay.index("standard trauma checklist") < replay.index("Continued.")
    assert "Avoid</span>" in replay and "Best choice</span>" in replay
    assert "Reflect what you heard and ask what she needs." in replay
    assert "Dana books a second session." in replay
    assert "shoulders tighten" in replay
    assert SECRET not in html


def test_module_page_shows_attempt_answers_and_evaluation(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    html = _get(
        client, f"/supervise/trainees/{world.trainee.id}/modules/complete-module"
    )
    assert "Pre-test, attempt 1" in html and "Post-test, attempt 1" in html
    assert "Score: 50%" in html and "Score: 83%" in html
    # micro-kinds answered wrong in the post-test with a and c.
    assert 'Microinsults</span>; <span class="chosen">Microdiagnoses' in html
    assert "Incorrect</span>" in html and "Correct</span>" in html
    assert "More cases, please." in html
    assert "4 of 5" in html


def test_private_reflection_in_a_run_is_only_mentioned(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    with app.app_context():
        entry = db.session.get(JournalEntry, world.shared_entry_id)
        assert entry is not None
        entry.shared = False
        entry.body = SECRET
        db.session.commit()
    login(world.supervisor)
    html = _get(
        client, f"/supervise/trainees/{world.trainee.id}/modules/complete-module"
    )
    assert "kept it private" in html
    assert SECRET not in html


def test_comment_on_shared_entry(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    e = world.shared_entry_id
    response = client.post(
        f"/supervise/trainees/{world.trainee.id}/entries/{e}/comments",
        data={f"entry-{e}-body": "Good noticing.\nKeep going."},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#entry-{e}")
    with app.app_context():
        entry = db.session.get(JournalEntry, e)
        assert entry is not None
        assert [(c.body, c.author_id) for c in entry.comments] == [
            ("Good noticing.\nKeep going.", world.supervisor.id)
        ]
    html = _get(client, f"/supervise/trainees/{world.trainee.id}")
    assert "Good noticing.\nKeep going." in html


def test_too_long_comment_keeps_text(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    e = world.shared_entry_id
    text = "x" * 2001
    response = client.post(
        f"/supervise/trainees/{world.trainee.id}/entries/{e}/comments",
        data={f"entry-{e}-body": text},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "at most 2,000 characters" in html
    assert text in html
    with app.app_context():
        assert db.session.execute(select(JournalComment)).first() is None


@pytest.mark.parametrize("which", ["private", "foreign"])
def test_comment_on_unshared_or_foreign_entry_is_404(
    app: Flask,
    client: FlaskClient,
    login: Callable[..., Any],
    world: World,
    which: str,
) -> None:
    with app.app_context():
        foreign = db.session.execute(
            select(JournalEntry.id).where(
                JournalEntry.user_id == world.outsider.id, JournalEntry.shared.is_(True)
            )
        ).scalar_one()
    e = world.private_entry_id if which == "private" else foreign
    login(world.supervisor)
    response = client.post(
        f"/supervise/trainees/{world.trainee.id}/entries/{e}/comments",
        data={f"entry-{e}-body": "Hello"},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.execute(select(JournalComment)).first() is None


def test_comment_is_on_the_entry_the_trainee_sees(
    app: Flask, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    e = world.shared_entry_id
    client.post(
        f"/supervise/trainees/{world.trainee.id}/entries/{e}/comments",
        data={f"entry-{e}-body": "Seen by Tara only."},
    )
    with app.app_context():
        own = (
            db.session.execute(
                select(JournalEntry).where(JournalEntry.user_id == world.trainee.id)
            )
            .scalars()
            .all()
        )
        other = (
            db.session.execute(
                select(JournalEntry).where(JournalEntry.user_id == world.outsider.id)
            )
            .scalars()
            .all()
        )
        assert {x.id: [c.body for c in x.comments] for x in own} == {
            world.shared_entry_id: ["Seen by Tara only."],
            world.private_entry_id: [],
        }
        assert all(not x.comments for x in other)
    client.post("/logout")
    login(world.trainee)
    assert "Seen by Tara only." in client.get("/journal").get_data(as_text=True)
    client.post("/logout")
    login(world.outsider)
    assert "Seen by Tara only." not in client.get("/journal").get_data(as_text=True)


# Issue 13: supervisors no longer issue reset links (the High finding's step 4).
def test_supervisors_have_no_reset_link(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    page = client.get(f"/supervise/trainees/{world.trainee.id}").get_data(as_text=True)
    assert "reset-link" not in page
    assert "Forgot your password?" in page
    response = client.post(f"/supervise/trainees/{world.trainee.id}/reset-link")
    assert response.status_code in {404, 405}
