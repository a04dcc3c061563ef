"""kaptrain's shared rate-limit storage: one SQLite counter file per host.

Unit tests of the storage (the login limits run on it in test_ratelimit.py), and
a real gunicorn with two workers showing that a limit means the same whichever
worker answers (with Flask-Limiter's memory storage, two workers let through
twice the limit).
"""

from __future__ import annotations

import multiprocessing
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from kaptrain.platform.ratelimit_storage import SQLiteRateLimitStorage, storage_uri
from kaptrain.web.auth.views import PER_ADDRESS


def _storage(tmp_path: Path) -> SQLiteRateLimitStorage:
    storage = storage_from_string(storage_uri(tmp_path / "limits.db"))
    assert isinstance(storage, SQLiteRateLimitStorage)
    return storage


def test_the_scheme_is_registered_with_the_limits_library(tmp_path):
    storage = _storage(tmp_path)
    assert storage.check()
    assert (tmp_path / "limits.db").stat().st_mode & 0o077 == 0


def test_a_fixed_window_counts_expires_and_clears(tmp_path):
    storage = _storage(tmp_path)
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3 per 1 second")
    assert [limiter.hit(limit, "k") for _ in range(4)] == [True, True, True, False]
    assert storage.get(limit.key_for("k")) == 4  # a refused hit counts too
    assert storage.get_expiry(limit.key_for("k")) > time.time()
    time.sleep(1.1)
    assert storage.get(limit.key_for("k")) == 0
    assert limiter.hit(limit, "k")
    storage.clear(limit.key_for("k"))
    assert storage.get(limit.key_for("k")) == 0
    storage.incr("other", 60)
    assert storage.reset() == 1


def test_keys_are_stored_as_digests(tmp_path):
    storage = _storage(tmp_path)
    storage.incr("LIMITER/acct:someone@example.org", 60)
    assert b"someone@example.org" not in (tmp_path / "limits.db").read_bytes()


def _hammer(uri: str, n: int) -> None:
    storage = storage_from_string(uri)
    for _ in range(n):
        storage.incr("shared", 60)


def test_processes_share_the_counters_without_losing_an_increment(tmp_path):
    uri = storage_uri(tmp_path / "limits.db")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hammer, args=(uri, 150)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert storage_from_string(uri).get("shared") == 450


@pytest.mark.server
def test_a_limit_holds_across_two_gunicorn_workers(live_server):
    """Sign-in attempts from one address, sent in parallel so that both workers
    answer: exactly the per-address limit get through, the rest are 429 (on
    Flask-Limiter's memory storage each worker would let the limit through)."""
    allowed = int(PER_ADDRESS.split()[0])

    def attempt(n: int) -> int:
        http = requests.Session()
        page = http.get(f"{live_server.url}/login", timeout=30)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token
        return http.post(
            f"{live_server.url}/login",
            data={
                "csrf_token": token.group(1),
                "email": f"nobody{n}@example.org",
                "password": "wrong-guess",
            },
            allow_redirects=False,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(allowed + 12)))
    assert codes.count(200) == allowed, codes
    assert codes.count(429) == 12
    assert (live_server.instance_dir / "ratelimits.db").exists()
