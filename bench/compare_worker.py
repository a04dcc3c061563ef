"""One measuring process of ``bench/compare.py``, run inside one source tree.

Started as ``python bench/compare_worker.py JOB.json`` with ``PYTHONPATH`` set to
the tree under test, so ``import kaptrain`` is that tree's code. It touches only
what every kaptrain commit since issue 9 has: ``create_app``, the URL routes,
``kaptrain.extensions.db`` and Flask-Login. It imports nothing from ``bench``
(the tree's own ``bench`` may be older) and prints one JSON line of results.

What it measures is **CPU time of this process per request** (``time.process_time``,
user + system), in-process through Flask's test client: on a machine shared with
other work, wall time and requests per second move with everyone else's load,
while the CPU a request costs does not (much). The database server's own CPU is
not in it (PostgreSQL runs in another process); the client's side of every round
trip is.
"""

from __future__ import annotations

import gc
import json
import re
import statistics
import sys
import time
from typing import Any

PAGES = ("ceiling", "session", "lesson", "module", "catalog", "progress")


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if match is None:
        match = re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if match is None:
        raise RuntimeError("no csrf_token on the page")
    return match.group(1)


def _app() -> Any:
    from flask import Response
    from flask_login import current_user

    from kaptrain import create_app

    app = create_app({"RATELIMIT_ENABLED": False})
    body: list[bytes] = [b"ceiling"]

    def ceiling() -> Response:
        return Response(body[0], mimetype="text/html")

    def session_floor() -> Response:
        if not current_user.is_authenticated:
            return Response(b"sign in first", status=401)
        return Response(body[0], mimetype="text/html")

    app.add_url_rule("/__ceiling", "bench_ceiling", ceiling)
    app.add_url_rule("/__session", "bench_session", session_floor)
    app.extensions["bench_body"] = body
    return app


def _sign_in(client: Any, email: str, password: str, totp: str | None) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": _token(page)},
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of {email} answered {response.status_code}")
    if totp:
        import pyotp

        code_page = response.headers["Location"]
        page = client.get(code_page).get_data(as_text=True)
        response = client.post(
            code_page,
            data={"code": pyotp.TOTP(totp).now(), "csrf_token": _token(page)},
        )
        if response.status_code != 302:
            raise RuntimeError(f"second factor answered {response.status_code}")


def _lesson_paths(client: Any) -> tuple[str, str]:
    catalog = client.get("/modules").get_data(as_text=True)
    module_path = re.search(r'href="(/modules/[^"/]+)"', catalog).group(1)
    page = client.get(module_path).get_data(as_text=True)
    items = re.findall(rf'href="({re.escape(module_path)}/[^"/?#]+)"', page)
    for item in dict.fromkeys(items):
        html = client.get(f"{item}?note=seen").get_data(as_text=True)
        if '<article class="lesson"' in html:
            # The same history as make bench: the lesson marked complete.
            client.post(f"{item}/complete", data={"csrf_token": _token(html)})
            return module_path, f"{item}?note=seen"
    raise RuntimeError("no lesson in the first module")


def _get(client: Any, path: str) -> float:
    """Milliseconds of this process's CPU for one GET of ``path`` (200 required)."""
    began = time.process_time()
    response = client.get(path)
    spent = (time.process_time() - began) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return spent


def pages(job: dict[str, Any]) -> dict[str, Any]:
    """Median CPU per request of each page, sampled in turn.

    The pages take turns request by request (ceiling, session, lesson, ...,
    ceiling, ...), so whatever else the machine does hits all of them alike, and
    each page's figure is the median of its single requests, which a preempted
    or cache-cold request does not move.
    """
    app = _app()
    client = app.test_client()
    _sign_in(client, "trainee@example.org", job["password"], None)
    module_path, lesson = _lesson_paths(client)
    app.extensions["bench_body"][0] = client.get(lesson).get_data()
    paths = {
        "ceiling": "/__ceiling",
        "session": "/__session",
        "lesson": lesson,
        "module": module_path,
        "catalog": "/modules",
        "progress": "/progress",
    }
    for path in paths.values():  # warm every statement and template
        for _ in range(5):
            _get(client, path)
    samples: dict[str, list[float]] = {name: [] for name in paths}
    gc.collect()
    for _request in range(job["rounds"] * job["requests"]):
        for name, path in paths.items():
            samples[name].append(_get(client, path))
    return {name: statistics.median(values) for name, values in samples.items()}


def _count_queries(engine: Any) -> list[int]:
    from sqlalchemy import event

    counter = [0]

    def before(*_args: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    return counter


def _timed(client: Any, path: str, stream: bool) -> tuple[float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(path, buffered=not stream)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    if stream:
        for _chunk in response.response:
            pass
        response.close()
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def dashboard(job: dict[str, Any]) -> dict[str, Any]:
    from kaptrain.extensions import db

    app = _app()
    client = app.test_client()
    _sign_in(client, job["supervisor"], job["password"], job["totp"])
    with app.app_context():
        counter = _count_queries(db.engine)
    results: dict[str, Any] = {}
    for size, cohort in job["cohorts"].items():
        for what, path, stream in (
            ("dashboard", f"/supervise/cohorts/{cohort}", False),
            ("csv", f"/supervise/cohorts/{cohort}/export/progress.csv", True),
        ):
            _timed(client, path, stream)  # warm
            cpu, wall = [], []
            counter[0] = 0
            for _run in range(job["runs"]):
                c, w = _timed(client, path, stream)
                cpu.append(c)
                wall.append(w)
            results[f"{what}_{size}"] = {
                "cpu_ms": statistics.median(cpu),
                "wall_ms": statistics.median(wall),
                "queries": counter[0] // job["runs"],
            }
    return results


def main() -> int:
    import logging

    job = json.loads(open(sys.argv[1], encoding="utf-8").read())  # noqa: SIM115
    logging.getLogger("kaptrain").setLevel(logging.WARNING)
    run = {"pages": pages, "dashboard": dashboard}[job["kind"]]
    print(json.dumps(run(job)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
