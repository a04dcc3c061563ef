"""``make bench``: every benchmark in one run, then docs/benchmarks.md.

Usage: ``python -m bench [--only pages,dashboard,content,writes,memory,load,xapi]``.
Raw results go to bench/results/<timestamp>.json (gitignored). Each benchmark
is bounded in time; one that fails is reported as failed and the rest still run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import time
import traceback
from typing import Any

from . import content, dashboard, load, memory, pages, writes
from . import xapi as xapi_bench
from .common import RESULTS, ROOT, log, machine, pg_available
from .report import render

BENCHMARKS = ("pages", "dashboard", "content", "writes", "memory", "load", "xapi")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--no-docs", action="store_true", help="skip the Markdown")
    parser.add_argument(
        "--report",
        action="store_true",
        help="only rewrite docs/benchmarks.md from bench/results/latest.json",
    )
    args = parser.parse_args(argv)
    if args.report:
        latest = json.loads((RESULTS / "latest.json").read_text())
        (ROOT / "docs" / "benchmarks.md").write_text(render(latest))
        return 0
    # A stopped run still stops its servers and drops its databases: SIGTERM
    # becomes SystemExit, so every context manager's cleanup runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = [name for name in args.only.split(",") if name]
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
    }
    has_pg = pg_available()
    if not has_pg:
        log(
            "PostgreSQL is not reachable at KAPTRAIN_BENCH_PG_URL; "
            "PostgreSQL measures are skipped"
        )
    runs = {
        "pages": lambda: {
            kind: pages.run(kind)
            for kind in (("postgresql", "sqlite") if has_pg else ("sqlite",))
        },
        "dashboard": dashboard.run if has_pg else None,
        "content": content.run,
        "writes": lambda: writes.run(
            ("sqlite", "postgresql") if has_pg else ("sqlite",)
        ),
        "memory": memory.run,
        "load": load.run if has_pg else None,
        "xapi": lambda: xapi_bench.run(
            ("sqlite", "postgresql") if has_pg else ("sqlite",)
        ),
    }
    for name in chosen:
        job = runs.get(name)
        if job is None:
            results[name] = {"skipped": "needs PostgreSQL"}
            continue
        log(f"== {name}")
        began = time.perf_counter()
        try:
            results[name] = job()
        except Exception as error:  # noqa: BLE001 - report and go on
            traceback.print_exc()
            results[name] = {"failed": f"{type(error).__name__}: {error}"[:500]}
        results.setdefault("durations_s", {})[name] = round(
            time.perf_counter() - began, 1
        )
    results["total_s"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    raw = RESULTS / f"{stamp}.json"
    raw.write_text(json.dumps(results, indent=2, default=str))
    (RESULTS / "latest.json").write_text(raw.read_text())
    log(f"raw results: {raw.relative_to(ROOT)}")
    if not args.no_docs and set(chosen) == set(BENCHMARKS):
        (ROOT / "docs" / "benchmarks.md").write_text(render(results))
        log("wrote docs/benchmarks.md")
    log(f"done in {results['total_s']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
