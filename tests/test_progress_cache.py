"""The worker's progress cache never shows stale progress: every learner write
raises the user's records version, what a page shows always equals progress
computed afresh, and a write made through another worker (another app on the
same database) is seen at once."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from kaptrain import create_app
from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import progress_for
from kaptrain.learning.progress_cache import ProgressCache, progress_cache
from kaptrain.models import User
from tests.support.learn import (
    LESSONS,
    MODULE_ID,
    QUIZ_URL,
    VIGNETTE_URL,
    latest_attempt,
    start_post_test,
    submit_attempt,
    submit_evaluation,
)

pytestmark = pytest.mark.content("complete-module", second=True)


def _version(app: Flask, user_id: int) -> int:
    with app.app_context():
        return db.session.get(User, user_id).records_version  # type: ignore[union-attr]


def _assert_fresh(app: Flask, client: Any, user_id: int) -> None:
    """Fill the cache through a page, then compare it with a fresh computation."""
    assert client.get("/modules").status_code == 200
    with app.app_context():
        cache = progress_cache()
        key, cached = cache._entries[user_id]
        assert cached == progress_for([user_id], current_catalog())
        assert key[0] == db.session.get(User, user_id).records_version  # type: ignore[union-attr]


def _run_id(client: Any) -> int:
    page = client.get(VIGNETTE_URL).get_data(as_text=True)
    return int(page.split(f"{VIGNETTE_URL}/runs/")[1].split('"')[0])


def test_every_learner_write_raises_the_version_and_pages_stay_fresh(
    app: Flask, client: Any, make_user: Any, login: Any
) -> None:
    user = make_user()
    login(user)
    _assert_fresh(app, client, user.id)

    def write(label: str, action: Any) -> None:
        before = _version(app, user.id)
        response = action()
        assert response.status_code in (302, 303), (label, response.status_code)
        assert _version(app, user.id) > before, f"{label} did not raise the version"
        _assert_fresh(app, client, user.id)

    write("skip pre-test", lambda: client.post(f"{QUIZ_URL}/skip-pretest"))
    for lesson in LESSONS:
        lesson_url = f"/modules/{MODULE_ID}/{lesson}/complete"
        write(lesson, lambda url=lesson_url: client.post(url))
    write("start case", lambda: client.post(f"{VIGNETTE_URL}/runs"))
    url = f"{VIGNETTE_URL}/runs/{_run_id(client)}"
    write("choice 1", lambda: client.post(url, data={"step": "0", "choice": "1"}))
    write("choice 2", lambda: client.post(url, data={"step": "1", "choice": "1"}))
    write(
        "reflection and ending",
        lambda: client.post(url, data={"step": "2", "reflection": "Noted."}),
    )
    before = _version(app, user.id)
    attempt = start_post_test(client, app, user)
    assert _version(app, user.id) > before, "starting the post-test"
    _assert_fresh(app, client, user.id)
    write("post-test", lambda: submit_attempt(client, app, attempt, correct=True))
    write("evaluation", lambda: submit_evaluation(client))

    with app.app_context():
        progress = progress_cache()._entries[user.id][1]
        assert progress[(user.id, MODULE_ID)].completed
    # The second module needed the first: its lock is gone on the very next page.
    assert "opens when you complete" not in client.get(
        "/modules/second-module"
    ).get_data(as_text=True)
    assert latest_attempt(app, user.id).passed


def test_a_repeat_read_is_served_from_the_cache(
    app: Flask, client: Any, make_user: Any, login: Any
) -> None:
    user = make_user()
    login(user)
    client.get("/modules")
    with app.app_context():
        cache = progress_cache()
        misses = cache.misses
    for path in ("/modules", f"/modules/{MODULE_ID}", "/progress"):
        assert client.get(path).status_code == 200
    assert cache.misses == misses
    assert cache.hits >= 3


def test_a_write_through_another_worker_is_seen_at_once(
    app: Flask, client: Any, make_user: Any, login: Any, content_folder: dict[str, Any]
) -> None:
    """Two apps on one database stand for two workers (or two hosts)."""
    from tests.support.settings import base_config

    user = make_user()
    login(user)
    lesson_url = f"/modules/{MODULE_ID}/{LESSONS[0]}?note=seen"
    assert "Mark as complete" in client.get(lesson_url).get_data(as_text=True)

    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    other = create_app(base_config(database_url, **content_folder))
    other_client = other.test_client()
    with other.app_context():
        signed_in = other_client.post(
            "/login", data={"email": user.email, "password": "tidal-lantern-orchard-92"}
        )
        assert signed_in.status_code == 302
        done = other_client.post(f"/modules/{MODULE_ID}/{LESSONS[0]}/complete")
        assert done.status_code == 302
        db.session.remove()
        db.engine.dispose()

    page = client.get(lesson_url).get_data(as_text=True)
    assert "Mark as complete" not in page


def test_the_cache_keeps_at_most_max_users(app: Flask, make_user: Any) -> None:
    cache = ProgressCache(max_users=2)
    users = [make_user() for _ in range(3)]
    with app.app_context():
        catalog = current_catalog()
        for user in users:
            cache.get(db.session.get(User, user.id), catalog)  # type: ignore[arg-type]
        assert len(cache) == 2
        assert users[0].id not in cache._entries
        # The same user with unchanged records is a hit.
        misses = cache.misses
        cache.get(db.session.get(User, users[2].id), catalog)  # type: ignore[arg-type]
        assert cache.misses == misses
