"""Concurrency and faults against a real gunicorn with two workers.

One server per module, on the complete fixture module, with a fresh database
(SQLite, or PostgreSQL when ``KAPTRAIN_TEST_DATABASE_URL`` is set). Login rate
limits are off in this server (200 sign-ins from the loopback in a few seconds
would otherwise meet the per-address limit, which tests/test_ratelimit.py covers)
and password hashing is cheap, so the load measures the app rather than scrypt.
Every request has a timeout and every test finishes well within a minute.
"""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import Engine
from werkzeug.security import generate_password_hash

from kaptrain.models import JournalEntry, QuizAttempt, QuizResponse, User, UserRole
from tests.support.learn import MODULE_ID, copy_fixture_module
from tests.support.live_server import DEMO_PASSWORD, LiveServer, start_live_server

pytestmark = pytest.mark.server

TIMEOUT = 20
QUIZ_URL = f"/modules/{MODULE_ID}/post-test"
SCORE = re.compile(r"You scored <strong>(\d+)%</strong> \((\d+) of (\d+) correct\)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("concurrency")
    modules = copy_fixture_module(tmp)
    with start_live_server(
        tmp / "server",
        modules_dir=modules,
        extra_env={
            "KAPTRAIN_RATELIMIT_ENABLED": "false",
            # Cheap hashing: 200 sign-ins measure the app, not scrypt.
            "KAPTRAIN_PASSWORD_METHOD": "scrypt:1024:8:1",
        },
    ) as live:
        yield live


@pytest.fixture(scope="module")
def database(server: LiveServer) -> Iterator[Engine]:
    """An engine on the server's own database, to check what was stored."""
    engine = create_engine(server.database_url)
    yield engine
    engine.dispose()


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def answers(html: str, rng: random.Random) -> dict[str, Any]:
    """A complete, random answer to the attempt form in ``html``."""
    soup = BeautifulSoup(html, "html.parser")
    form = soup.find("form", class_="quiz-form")
    assert form is not None, "no attempt form in the page"
    data: dict[str, Any] = {"csrf_token": csrf(html)}
    choices: dict[str, list[str]] = {}
    for box in form.find_all("input", attrs={"type": ["radio", "checkbox"]}):
        choices.setdefault(box["name"], []).append(box["value"])
    for name, values in choices.items():
        data[name] = [rng.choice(values)]
    selects = form.find_all("select")
    by_question: dict[str, list[Any]] = {}
    for select_ in selects:
        by_question.setdefault(select_["name"].rsplit("-", 1)[0], []).append(select_)
    for positions in by_question.values():
        values = [o["value"] for o in positions[0].find_all("option") if o["value"]]
        rng.shuffle(values)
        for select_, value in zip(positions, values, strict=True):
            data[select_["name"]] = value
    return data


def start_attempt(server: LiveServer, http: requests.Session) -> str:
    """Start a post-test attempt; returns its URL."""
    page = http.get(f"{server.url}{QUIZ_URL}", timeout=TIMEOUT)
    assert page.status_code == 200, page.status_code
    response = http.post(
        f"{server.url}{QUIZ_URL}/start",
        data={"csrf_token": csrf(page.text), "kind": "post"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert "/attempts/" in location, location
    return location if location.startswith("http") else f"{server.url}{location}"


def attempt_id(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[1])


def test_fifty_concurrent_submits_store_one_result(
    server: LiveServer, database: Engine
) -> None:
    """50 clients on one session submit one attempt at once, each with its own
    answers: one graded attempt, one set of responses, one result for all."""
    http = server.login("trainee@example.org")
    url = start_attempt(server, http)
    form = http.get(url, timeout=TIMEOUT).text
    cookies = http.cookies.get_dict()
    barrier = threading.Barrier(50, timeout=TIMEOUT)

    def submit(n: int) -> tuple[int, str, str]:
        data = answers(form, random.Random(n))
        barrier.wait()
        response = requests.post(
            url, data=data, cookies=cookies, allow_redirects=False, timeout=TIMEOUT
        )
        result = requests.get(url, cookies=cookies, timeout=TIMEOUT)
        match = SCORE.search(result.text)
        return (
            response.status_code,
            response.headers.get("Location", ""),
            (match.group(0) if match else f"no score ({result.status_code})"),
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        outcomes = list(pool.map(submit, range(50)))

    assert {status for status, _l, _s in outcomes} == {303}, outcomes
    assert len({location for _st, location, _s in outcomes}) == 1
    scores = {score for _st, _l, score in outcomes}
    assert len(scores) == 1, scores
    assert next(iter(scores)).startswith("You scored"), scores
    with database.connect() as conn:
        attempts = conn.execute(
            select(QuizAttempt.id, QuizAttempt.correct_count).where(
                QuizAttempt.user_id
                == select(User.id)
                .where(User.email == "trainee@example.org")
                .scalar_subquery()
            )
        ).all()
        responses = conn.execute(
            select(func.count())
            .select_from(QuizResponse)
            .where(QuizResponse.attempt_id == attempt_id(url))
        ).scalar_one()
    assert [row.id for row in attempts] == [attempt_id(url)]
    assert responses == int(SCORE.search(next(iter(scores))).group(3))
    assert f"({attempts[0].correct_count} of" in next(iter(scores))


def _add_trainees(server: LiveServer, database: Engine, count: int) -> list[str]:
    """Insert ``count`` trainees directly, with one cheap hash of the test
    password made with the server's own method."""
    method = server.env["KAPTRAIN_PASSWORD_METHOD"]
    password_hash = generate_password_hash(DEMO_PASSWORD, method=method)
    tag = uuid.uuid4().hex[:8]
    emails = [f"load-{tag}-{n}@example.org" for n in range(count)]
    with database.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    "email": email,
                    "name": f"Load Trainee {n}",
                    "password_hash": password_hash,
                    "active": True,
                }
                for n, email in enumerate(emails)
            ],
        )
        ids = conn.execute(select(User.id).where(User.email.in_(emails))).scalars()
        conn.execute(insert(UserRole), [{"user_id": i, "role": "trainee"} for i in ids])
    return emails


def test_two_hundred_trainees_submitting_at_once_lose_nothing(
    server: LiveServer, database: Engine
) -> None:
    emails = _add_trainees(server, database, 200)
    statuses: list[int] = []
    lock = threading.Lock()

    def journey(n: int) -> None:
        http = requests.Session()
        original = http.request

        def record(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", TIMEOUT)
            response = original(*args, **kwargs)
            with lock:
                statuses.append(response.status_code)
            return response

        http.request = record  # type: ignore[method-assign]
        login = http.get(f"{server.url}/login")
        signed_in = http.post(
            f"{server.url}/login",
            data={
                "csrf_token": csrf(login.text),
                "email": emails[n],
                "password": DEMO_PASSWORD,
            },
            allow_redirects=False,
        )
        assert signed_in.status_code == 302, signed_in.status_code
        url = start_attempt(server, http)
        form = http.get(url).text
        done = http.post(
            url, data=answers(form, random.Random(n)), allow_redirects=False
        )
        assert done.status_code == 303, done.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(journey, n) for n in range(200)]
        failures = [f.exception() for f in futures if f.exception() is not None]
    assert not failures, failures[:3]
    assert max(statuses) < 500, sorted(set(statuses))
    assert time.monotonic() - started < 60
    with database.connect() as conn:
        user_ids = select(User.id).where(User.email.in_(emails))
        per_user = conn.execute(
            select(QuizAttempt.user_id, func.count())
            .where(
                QuizAttempt.user_id.in_(user_ids),
                QuizAttempt.submitted_at.is_not(None),
            )
            .group_by(QuizAttempt.user_id)
        ).all()
        all_attempts = conn.execute(
            select(func.count())
            .select_from(QuizAttempt)
            .where(QuizAttempt.user_id.in_(user_ids))
        ).scalar_one()
        responses = conn.execute(
            select(func.count())
            .select_from(QuizResponse)
            .join(QuizAttempt)
            .where(QuizAttempt.user_id.in_(user_ids))
        ).scalar_one()
    assert len(per_user) == 200
    assert {count for _user, count in per_user} == {1}
    assert all_attempts == 200
    assert responses == 200 * 6


def test_killed_worker_loses_no_committed_write(
    server: LiveServer, database: Engine
) -> None:
    """Journal writes from 8 threads; one worker is SIGKILLed a third of the way
    in. Every write answered with success has its row; only requests in flight
    at the kill may fail to connect; gunicorn replaces the worker."""
    http = server.login("trainee2@example.org")
    token = csrf(http.get(f"{server.url}/journal", timeout=TIMEOUT).text)
    cookies = http.cookies.get_dict()
    tag = uuid.uuid4().hex[:8]
    total, threads = 120, 8
    done = threading.Semaphore(0)
    results: dict[str, str] = {}
    lock = threading.Lock()

    def write(n: int) -> None:
        body = f"kill-{tag}-{n}"
        try:
            response = requests.post(
                f"{server.url}/journal",
                data={"csrf_token": token, "module_id": MODULE_ID, "body": body},
                cookies=cookies,
                allow_redirects=False,
                timeout=TIMEOUT,
            )
            outcome = str(response.status_code)
        except requests.ConnectionError:
            outcome = "connection error"
        with lock:
            results[body] = outcome
        done.release()

    before = server.worker_pids()
    assert len(before) == 2
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(write, n) for n in range(total)]
        for _ in range(total // 3):
            assert done.acquire(timeout=TIMEOUT)
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        for future in futures:
            future.result(timeout=60)

    outcomes = list(results.values())
    assert len(outcomes) == total
    failed = [o for o in outcomes if o != "302"]
    assert all(o == "connection error" for o in failed), sorted(set(outcomes))
    assert len(failed) <= threads, failed
    assert outcomes.count("302") >= total - threads
    with database.connect() as conn:
        rows = conn.execute(
            select(JournalEntry.body, func.count())
            .where(JournalEntry.body.like(f"kill-{tag}-%"))
            .group_by(JournalEntry.body)
        ).all()
    stored = {body for body, _count in rows}
    succeeded = {body for body, outcome in results.items() if outcome == "302"}
    assert succeeded <= stored, sorted(succeeded - stored)
    assert {count for _body, count in rows} == {1}
    # The server keeps answering, with a new worker in place of the killed one.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = server.worker_pids()
        if len(workers) == 2 and victim not in workers:
            break
        time.sleep(0.2)
    assert victim not in server.worker_pids()
    assert len(server.worker_pids()) == 2
    for _ in range(6):
        assert requests.get(f"{server.url}/healthz", timeout=TIMEOUT).status_code == 200
        page = requests.get(f"{server.url}/journal", cookies=cookies, timeout=TIMEOUT)
        assert page.status_code == 200
