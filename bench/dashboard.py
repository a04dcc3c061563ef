"""Supervisor dashboard and progress CSV at 100, 1,000 and 5,000 trainees.

One PostgreSQL database holds three synthetic cohorts (bench/synthetic.py). The
app runs in this process; a test client signed in as their supervisor fetches
each cohort's dashboard (median of a few runs, and the number of SQL queries,
counted with a ``before_cursor_execute`` listener; the page shows 50 trainees,
sorted and summarised over the whole cohort) and streams the progress CSV (its
time, then its peak Python memory under tracemalloc in a separate pass).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from sqlalchemy import event

from .common import (
    PASSWORD,
    base_env,
    close_app,
    log,
    pg_database,
    prepare_database,
)

SIZES = (100, 1000, 5000)
DASHBOARD_MS_TARGET = 250.0
#: Timed runs per size; the median is reported (one slow sample on a shared
#: machine would otherwise decide a growth ratio).
RUNS = 3


def _app(url: str, instance: Path) -> Any:
    env = base_env(url, instance, None)
    os.environ.update({k: v for k, v in env.items() if k.startswith("KAPTRAIN_")})
    from kaptrain import create_app

    return create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})


class QueryCounter:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.count = 0

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)

    def _before(self, _c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.count += 1


def _consume(response: Any) -> int:
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    return size


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    import logging

    logging.getLogger("kaptrain").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="kaptrain-bench-dash-") as tmp:
        with pg_database("dashboard") as url:
            env = base_env(url, Path(tmp) / "instance", None)
            prepare_database(env, demo=False)
            app = _app(url, Path(tmp) / "instance")
            try:
                return _measure(app, sizes)
            finally:
                close_app(app)


def _measure(app: Any, sizes: tuple[int, ...]) -> dict[str, Any]:
    import pyotp

    from kaptrain.extensions import db
    from kaptrain.learning.course import current_catalog
    from kaptrain.models import SUPERVISOR, TotpCredential
    from kaptrain.people import accounts, one_time_codes

    from .synthetic import load_cohorts

    with app.app_context():
        supervisor = accounts.create_user(
            "bench-supervisor@example.org", "Bench Supervisor", PASSWORD, (SUPERVISOR,)
        )
        # Staff sign in with a second factor: enrol the supervisor's authenticator.
        totp_secret = one_time_codes.new_secret()
        db.session.add(TotpCredential(user_id=supervisor.id, secret=totp_secret))
        db.session.commit()
        catalog = current_catalog()
        started = time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            loaded = load_cohorts(
                raw.driver_connection,
                catalog,
                sizes,
                supervisor.password_hash,
                supervisor.id,
            )
        finally:
            raw.close()
        log(
            f"dashboard: synthetic data {loaded['rows']} in "
            f"{time.perf_counter() - started:.1f} s"
        )
        engine = db.engine
    client = app.test_client()
    response = client.post(
        "/login",
        data={"email": "bench-supervisor@example.org", "password": PASSWORD},
    )
    assert response.status_code == 302, response.status_code
    code_page = response.headers["Location"]
    response = client.post(code_page, data={"code": pyotp.TOTP(totp_secret).now()})
    assert response.status_code == 302, response.status_code
    rows = []
    for size in sizes:
        cohort_id = loaded["cohorts"][size]
        path = f"/supervise/cohorts/{cohort_id}"
        client.get(path)  # warm: first use of these statements
        times = []
        cpu = []
        queries = 0
        for _ in range(RUNS):
            with QueryCounter(engine) as counter:
                began = time.perf_counter()
                cpu_began = time.process_time()
                response = client.get(path)
                times.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - cpu_began) * 1000)
            assert response.status_code == 200, response.status_code
            queries = counter.count
        csv_path = f"/supervise/cohorts/{cohort_id}/export/progress.csv"
        csv_times = []
        csv_cpu = []
        for _ in range(RUNS):
            with QueryCounter(engine) as counter:
                began = time.perf_counter()
                cpu_began = time.process_time()
                size_bytes = _consume(client.get(csv_path, buffered=False))
                csv_times.append((time.perf_counter() - began) * 1000)
                csv_cpu.append((time.process_time() - cpu_began) * 1000)
            csv_queries = counter.count
        tracemalloc.start()
        _consume(client.get(csv_path, buffered=False))
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        row = {
            "trainees": size,
            "dashboard_ms": round(statistics.median(times), 1),
            "dashboard_cpu_ms": round(statistics.median(cpu), 1),
            "dashboard_queries": queries,
            "dashboard_bytes": len(response.data),
            "csv_ms": round(statistics.median(csv_times), 1),
            "csv_cpu_ms": round(statistics.median(csv_cpu), 1),
            "csv_queries": csv_queries,
            "csv_bytes": size_bytes,
            "csv_peak_mb": round(peak / 1024 / 1024, 2),
        }
        log(f"dashboard: {row}")
        rows.append(row)
    return {
        "rows": rows,
        "runs": RUNS,
        "synthetic_rows": loaded["rows"],
        **_verdicts(rows),
    }


def _verdicts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_size = {r["trainees"]: r for r in rows}
    small, mid, large = (by_size.get(s) for s in SIZES)
    result: dict[str, Any] = {
        "same_queries": len({r["dashboard_queries"] for r in rows}) == 1,
        # The progress CSV reads each query once, in step (no batches of ids).
        "same_csv_queries": len({r["csv_queries"] for r in rows}) == 1,
    }
    if mid:
        result["dashboard_1000_ms"] = mid["dashboard_ms"]
        result["dashboard_1000_met"] = mid["dashboard_ms"] < DASHBOARD_MS_TARGET
    if mid and large:
        factor = large["trainees"] / mid["trainees"]
        result["dashboard_growth"] = round(
            large["dashboard_ms"] / mid["dashboard_ms"], 2
        )
        result["csv_growth"] = round(large["csv_ms"] / mid["csv_ms"], 2)
        result["size_factor"] = factor
        result["growth_met"] = (
            result["dashboard_growth"] <= factor and result["csv_growth"] <= factor
        )
        result["csv_memory_growth"] = round(
            large["csv_peak_mb"] / max(mid["csv_peak_mb"], 0.01), 2
        )
        # "Not growing with size": 5x the trainees, at most 25% more memory.
        result["csv_memory_met"] = result["csv_memory_growth"] <= 1.25
    if small and mid:
        result["csv_memory_small_to_mid"] = round(
            mid["csv_peak_mb"] / max(small["csv_peak_mb"], 0.01), 2
        )
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2, default=str))
