"""Load (issue 7): 200 simulated trainees for 60 s against gunicorn (2 workers)
and PostgreSQL, with locust headless on 127.0.0.1.

Trainees are inserted directly (sharing one password hash) and sign in through
the real form when their simulated session starts. The login rate limit is off
for this run only: every simulated trainee comes from 127.0.0.1, which a real
deployment never sees. Reports requests per second, p50/p95/p99 and errors.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .common import (
    BIN,
    PASSWORD,
    ROOT,
    base_env,
    gunicorn,
    log,
    pg_database,
    prepare_database,
)
from .writes import create_trainees

USERS = 200
#: Five sign-ins a second: all 200 trainees are in by 40 s.
SPAWN_RATE = 5
SECONDS = 60
P95_TARGET_MS = 300.0
MODULES = ("racial-trauma", "implicit-bias-cultural-humility", "kap-foundations-safety")


def _locust() -> Path | None:
    found = BIN / "locust"
    if found.exists():
        return found
    which = shutil.which("locust")
    return Path(which) if which else None


def run(users: int = USERS, seconds: int = SECONDS) -> dict[str, Any]:
    locust = _locust()
    if locust is None:
        return {
            "skipped": "locust is not installed: run `make bench` (installs the "
            "bench extra) or pip install -e '.[bench]'"
        }
    with tempfile.TemporaryDirectory(prefix="kaptrain-bench-load-") as tmp:
        tmp_path = Path(tmp)
        with pg_database("load") as url:
            env = base_env(url, tmp_path / "instance", None)
            env["KAPTRAIN_RATELIMIT_ENABLED"] = "false"
            prepare_database(env, demo=False)
            emails = create_trainees(url, users, prefix="load")
            with gunicorn(env) as server:
                run_env = dict(env)
                run_env.update(
                    {
                        "KAPTRAIN_BENCH_EMAILS": ",".join(emails),
                        "KAPTRAIN_BENCH_PASSWORD": PASSWORD,
                        "KAPTRAIN_BENCH_MODULES": ",".join(MODULES),
                    }
                )
                prefix = tmp_path / "locust"
                log(f"load: {users} trainees for {seconds} s against {server.url}")
                result = subprocess.run(
                    [
                        str(locust),
                        "-f",
                        str(ROOT / "bench" / "locustfile.py"),
                        "--headless",
                        "--users",
                        str(users),
                        "--spawn-rate",
                        str(SPAWN_RATE),
                        "--run-time",
                        f"{seconds}s",
                        "--stop-timeout",
                        "10",
                        "--host",
                        server.url,
                        "--csv",
                        str(prefix),
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                    ],
                    env=run_env,
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=seconds + 120,
                    check=False,
                )
                server_errors = server.log_path.read_text(errors="replace").count(
                    "Traceback"
                )
            rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    by_name = {}
    total: dict[str, Any] = {}
    for row in rows:
        entry = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 1),
            "p50_ms": float(row["50%"] or 0),
            "p95_ms": float(row["95%"] or 0),
            "p99_ms": float(row["99%"] or 0),
        }
        if row["Name"] == "Aggregated":
            total = entry
        else:
            by_name[f"{row['Type']} {row['Name']}"] = entry
    out = {
        "users": users,
        "seconds": seconds,
        "total": total,
        "by_request": by_name,
        "server_tracebacks": server_errors,
        "locust_exit": result.returncode,
    }
    out["met"] = (
        bool(total)
        and total["failures"] == 0
        and server_errors == 0
        and total["p95_ms"] < P95_TARGET_MS
    )
    log(f"load: {total}")
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
