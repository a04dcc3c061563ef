"""Writes: quiz submissions per second with 2 workers, on SQLite (WAL) and on
PostgreSQL, with the number of attempts lost or duplicated.

Trainees sign in through the real form; each starts a pre-test and a post-test
attempt of every module of a small generated tree (not timed). Then every
attempt is submitted twice at once, as a double click would (timed, 8 client
threads). Afterwards the database must hold exactly one graded attempt per
start, each with one response per question: an attempt whose submit was
answered with a redirect but is not graded is "lost", a second attempt or a
second set of responses is "duplicated". Any 5xx is an error.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .common import (
    PASSWORD,
    PASSWORD_METHOD,
    ROOT,
    base_env,
    cookie_header,
    csrf_token,
    database,
    gunicorn,
    log,
    login,
    prepare_database,
)

TRAINEES = 12
MODULES = 6
THREADS = 8


def create_trainees(url: str, count: int, prefix: str = "w") -> list[str]:
    """Insert ``count`` trainees sharing one password hash (hashing is not measured)."""
    from sqlalchemy import MetaData, create_engine, insert, select
    from werkzeug.security import generate_password_hash

    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine, only=["users", "user_roles"])
    users, roles = meta.tables["users"], meta.tables["user_roles"]
    password_hash = generate_password_hash(PASSWORD, method=PASSWORD_METHOD)
    now = dt.datetime.now(dt.UTC)
    if engine.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    emails = [f"{prefix}{n:04d}@bench.example.org" for n in range(count)]
    with engine.begin() as conn:
        conn.execute(
            insert(users),
            [
                {
                    "email": email,
                    "name": f"Bench {email.split('@')[0]}",
                    "password_hash": password_hash,
                    "active": True,
                    "created_at": now,
                }
                for email in emails
            ],
        )
        ids = conn.execute(
            select(users.c.id).where(users.c.email.in_(emails))
        ).scalars()
        conn.execute(insert(roles), [{"user_id": i, "role": "trainee"} for i in ids])
    engine.dispose()
    return emails


def _verify(url: str, started: list[dict[str, Any]], questions: dict[str, int]) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        attempts = conn.execute(
            text(
                "SELECT a.id, a.module_id, a.submitted_at IS NOT NULL, "
                "(SELECT count(*) FROM quiz_responses r WHERE r.attempt_id = a.id) "
                "FROM quiz_attempts a"
            )
        ).all()
        per_start = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT user_id, module_id, kind, count(*) AS n "
                "FROM quiz_attempts GROUP BY user_id, module_id, kind) s WHERE n > 1"
            )
        ).scalar_one()
    engine.dispose()
    by_id = {row[0]: row for row in attempts}
    lost = duplicated = 0
    for entry in started:
        row = by_id.get(entry["attempt_id"])
        if row is None or (entry["answered"] and not row[2]):
            lost += 1
        elif row[3] > questions[row[1]]:
            duplicated += 1
    return {
        "attempts_started": len(started),
        "attempts_in_db": len(attempts),
        "graded": sum(1 for row in attempts if row[2]),
        "lost": lost,
        "duplicated": duplicated + per_start,
    }


def run_one(db_kind: str, tree: Path, questions: dict[str, int]) -> dict[str, Any]:
    import requests

    with tempfile.TemporaryDirectory(prefix="kaptrain-bench-writes-") as tmp:
        tmp_path = Path(tmp)
        with database(db_kind, tmp_path, "writes") as url:
            env = base_env(url, tmp_path / "instance", tree)
            env["KAPTRAIN_RATELIMIT_ENABLED"] = "false"
            prepare_database(env, demo=False)
            emails = create_trainees(url, TRAINEES)
            with gunicorn(env) as server:
                with ThreadPoolExecutor(THREADS) as pool:
                    sessions = list(
                        pool.map(lambda e: login(server.url, e, PASSWORD), emails)
                    )

                def prepare(http: Any) -> list[dict[str, Any]]:
                    page = http.get(f"{server.url}/modules", timeout=30).text
                    token = csrf_token(page)
                    out = []
                    for module_id in questions:
                        for kind in ("pre", "post"):
                            response = http.post(
                                f"{server.url}/modules/{module_id}/post-test/start",
                                data={"csrf_token": token, "kind": kind},
                                allow_redirects=False,
                                timeout=30,
                            )
                            location = response.headers.get("Location", "")
                            if "/attempts/" not in location:
                                continue
                            out.append(
                                {
                                    "url": server.url + urlsplit(location).path,
                                    "attempt_id": int(location.rsplit("/", 1)[1]),
                                    "module_id": module_id,
                                    "cookies": cookie_header(http),
                                    "token": token,
                                    "answered": False,
                                }
                            )
                    return out

                with ThreadPoolExecutor(THREADS) as pool:
                    started = [
                        a for batch in pool.map(prepare, sessions) for a in batch
                    ]
                log(f"writes[{db_kind}]: {len(started)} attempts started")

                def submit(entry: dict[str, Any]) -> int:
                    form = {"csrf_token": entry["token"]}
                    for n in range(1, questions[entry["module_id"]] + 1):
                        form[f"q-q{n}"] = "1"
                    try:
                        response = requests.post(
                            entry["url"],
                            data=form,
                            headers={"Cookie": entry["cookies"]},
                            allow_redirects=False,
                            timeout=60,
                        )
                    except requests.RequestException:
                        return 0
                    if response.status_code == 303:
                        entry["answered"] = True
                    return response.status_code

                twice = [entry for entry in started for _ in range(2)]
                began = time.perf_counter()
                with ThreadPoolExecutor(THREADS) as pool:
                    statuses = list(pool.map(submit, twice))
                seconds = time.perf_counter() - began
            verdict = _verify(url, started, questions)
    errors = sum(1 for s in statuses if s != 303)
    result = {
        "database": db_kind,
        "trainees": TRAINEES,
        "posts": len(twice),
        "seconds": round(seconds, 2),
        "submissions_per_s": round(len(started) / seconds, 1),
        "posts_per_s": round(len(twice) / seconds, 1),
        "errors": errors,
        **verdict,
    }
    result["met"] = result["lost"] == 0 and result["duplicated"] == 0 and not errors
    log(f"writes[{db_kind}]: {result}")
    return result


def run(kinds: tuple[str, ...] = ("sqlite", "postgresql")) -> dict[str, Any]:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from gen_modules import generate_tree

    from kaptrain.content import build_catalog

    with tempfile.TemporaryDirectory(prefix="kaptrain-bench-tree-") as tmp:
        tree = generate_tree(Path(tmp) / "modules", MODULES, 1)
        catalog = build_catalog(tree, workers=1).catalog
        questions = {m.id: len(m.quiz.questions) for m in catalog.modules}
        return {kind: run_one(kind, tree, questions) for kind in kinds}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
