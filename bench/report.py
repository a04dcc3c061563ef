"""docs/benchmarks.md from one run's results, plus the hand-written analysis in
bench/analysis.md (profiles, fixes with before and after, gaps explained)."""

from __future__ import annotations

from typing import Any

from .common import ROOT


def _yes(value: Any) -> str:
    if value is None:
        return "n/a"
    return "met" if value else "**not met**"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


def _problem(section: Any) -> str | None:
    if not isinstance(section, dict):
        return "no result"
    return section.get("skipped") or section.get("failed")


def _machine(r: dict[str, Any]) -> list[str]:
    m = r["machine"]
    return [
        "## Machine",
        "",
        *_table(
            ["what", "value"],
            [
                ["date", r["date"]],
                ["CPUs (nproc)", f"{m['nproc']} ({m['cpu']})"],
                ["memory", f"{m['memory_gb']} GB"],
                ["OS", m["os"]],
                ["Python", m["python"]],
                ["SQLite", m["sqlite"]],
                ["PostgreSQL", m["postgresql"]],
                ["whole run", f"{r.get('total_s', '?')} s"],
            ],
        ),
    ]


def _pages(r: dict[str, Any]) -> list[str]:
    out = ["## 1. Page throughput (gunicorn, 2 sync workers)", ""]
    section = r.get("pages", {})
    if _problem(section) and not any(isinstance(v, dict) for v in section.values()):
        return out + [f"Not run: {_problem(section)}", ""]
    for kind, res in section.items():
        if _problem(res):
            out += [f"{kind}: not run ({_problem(res)})", ""]
            continue
        ceiling, raw = res["ceiling"], res["raw"]
        out += [
            f"**{kind}**: ceiling `/__ceiling` {ceiling['rps']} req/s "
            f"(same {res['lesson_bytes']} bytes through Flask and every "
            "before-request hook, no view work; the two-step sign-in gate "
            "loads the signed-in session there, so the ceiling already pays "
            "the session check); "
            f"`/__raw` below Flask {raw['rps']} req/s. Share = page ÷ ceiling, "
            f"median over {res.get('rounds', 1)} interleaved rounds.",
            "",
        ]
        if "session" in res:
            floor = res["session"]
            out += [
                f"Signed-in floor `/__session`: {floor['rps']} req/s, "
                f"{floor['share']:.0%} of the ceiling: the same bytes after the "
                "session check every signed-in page makes (one query), with no "
                "progress and no template; about 100% because the gate in the "
                "ceiling makes the same check.",
                "",
            ]
        out += _table(
            ["page", "path", "req/s", "share of ceiling", "target", "p50 ms",
             "errors", "result"],
            [
                [p["page"], f"`{p['path']}`", p["rps"], f"{p['share']:.0%}",
                 f"≥ {p['target']:.0%}", p["p50_ms"], p["errors"], _yes(p["met"])]
                for p in res["pages"]
            ],
        )  # fmt: skip
    return out


def _dashboard(r: dict[str, Any]) -> list[str]:
    out = ["## 2. Supervisor dashboard and progress CSV (PostgreSQL)", ""]
    d = r.get("dashboard", {})
    if _problem(d):
        return out + [f"Not run: {_problem(d)}", ""]
    out += _table(
        ["trainees", "dashboard ms", "dashboard CPU ms", "queries", "CSV ms",
         "CSV CPU ms", "CSV queries", "CSV peak MB (tracemalloc)", "CSV bytes"],
        [
            [x["trainees"], x["dashboard_ms"], x.get("dashboard_cpu_ms", ""),
             x["dashboard_queries"], x["csv_ms"], x.get("csv_cpu_ms", ""),
             x["csv_queries"], x["csv_peak_mb"], x["csv_bytes"]]
            for x in d["rows"]
        ],
    )  # fmt: skip
    out += [
        "Times are the median of "
        f"{d.get('runs', 3)} requests at each size (wall and this process's CPU; "
        "PostgreSQL's own work shows only in wall time).",
        "",
    ]
    out += _table(
        ["target", "measured", "result"],
        [
            ["same dashboard query count at every size",
             sorted({x["dashboard_queries"] for x in d["rows"]}),
             _yes(d["same_queries"])],
            ["dashboard at 1,000 trainees < 250 ms", f"{d.get('dashboard_1000_ms')} ms",
             _yes(d.get("dashboard_1000_met"))],
            ["time grows no faster than linearly, 1,000 → 5,000 (≤ 5×)",
             f"dashboard ×{d.get('dashboard_growth')}, CSV ×{d.get('csv_growth')}",
             _yes(d.get("growth_met"))],
            ["CSV memory does not grow with size (5,000 ≤ 1.25 × 1,000)",
             f"×{d.get('csv_memory_growth')}", _yes(d.get("csv_memory_met"))],
        ],
    )  # fmt: skip
    rows = ", ".join(f"{k} {v:,}" for k, v in d.get("synthetic_rows", {}).items())
    return out + [f"Synthetic rows loaded with COPY: {rows}.", ""]


def _content(r: dict[str, Any]) -> list[str]:
    out = ["## 3. Content: 100 generated modules × 8 lessons", ""]
    c = r.get("content", {})
    if _problem(c):
        return out + [f"Not run: {_problem(c)}", ""]
    out += [f"{c['markdown_mb']} MB of Markdown. Each measure in a fresh process.", ""]
    out += _table(
        ["measure", "value", "target", "result"],
        [
            ["cold build (no render cache, parallel)",
             f"{c['cold']['seconds']} s",
             "< 5 s", _yes(c["cold_met"])],
            ["warm build (render cache on disk: a restart)",
             f"{c['warm']['seconds']} s",
             "< 5 s", _yes(c["warm_met"])],
            ["`content check` (never cached)", f"{c['check']['seconds']} s", "< 5 s",
             _yes(c["check_met"])],
            ["memory held by the built catalog", f"{c['memory']['catalog_mb']} MB",
             "", ""],
            ["Markdown renders while serving "
             f"{c['requests']['pages']} pages", c["requests"]["renders"], "0",
             _yes(c["no_render_per_request"])],
        ],
    )  # fmt: skip
    return out


def _writes(r: dict[str, Any]) -> list[str]:
    out = ["## 4. Writes: quiz submissions, 2 workers", ""]
    w = r.get("writes", {})
    if _problem(w):
        return out + [f"Not run: {_problem(w)}", ""]
    out += _table(
        ["database", "attempts", "POSTs (each twice)", "submissions/s", "POSTs/s",
         "errors", "lost", "duplicated", "result"],
        [
            [k, v["attempts_started"], v["posts"], v["submissions_per_s"],
             v["posts_per_s"], v["errors"], v["lost"], v["duplicated"], _yes(v["met"])]
            for k, v in w.items() if not _problem(v)
        ],
    )  # fmt: skip
    return out


def _memory(r: dict[str, Any]) -> list[str]:
    out = ["## 5. Memory of one worker", ""]
    m = r.get("memory", {})
    if _problem(m):
        return out + [f"Not run: {_problem(m)}", ""]
    return out + _table(
        ["catalog", "worst worker RSS", "target", "result"],
        [
            [v["catalog"], f"{v['worker_rss_mb']} MB", "< 200 MB", _yes(v["met"])]
            for v in m.values()
        ],
    )


def _load(r: dict[str, Any]) -> list[str]:
    out = ["## 6. Load (issue 7): 200 trainees, 60 s, PostgreSQL, 2 workers", ""]
    lo = r.get("load", {})
    if _problem(lo):
        return out + [f"Not run: {_problem(lo)}", ""]
    t = lo["total"]
    out += _table(
        ["requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
         "server tracebacks", "target", "result"],
        [[t["requests"], t["rps"], t["p50_ms"], t["p95_ms"], t["p99_ms"],
          t["failures"], lo["server_tracebacks"], "0 errors, p95 < 300 ms",
          _yes(lo["met"])]],
    )  # fmt: skip
    out += _table(
        ["request", "count", "p50 ms", "p95 ms", "p99 ms", "errors"],
        [
            [f"`{name}`", v["requests"], v["p50_ms"], v["p95_ms"], v["p99_ms"],
             v["failures"]]
            for name, v in sorted(lo["by_request"].items())
        ],
    )  # fmt: skip
    return out


def _xapi(r: dict[str, Any]) -> list[str]:
    out = ["## xAPI: learner writes with and without the outbox", ""]
    x = r.get("xapi", {})
    if _problem(x):
        return out + [f"Not run: {_problem(x)}", ""]
    out += _table(
        ["database", "submissions", "without xAPI /s", "with xAPI /s", "ratio",
         "outbox rows"],
        [
            [k, v["with"]["submissions"], v["without"]["per_s"], v["with"]["per_s"],
             v["ratio"], v["with"]["outbox_rows"]]
            for k, v in x.items() if not _problem(v)
        ],
    )  # fmt: skip
    return out + [
        "",
        "Lesson completions and post-test submissions through the test client "
        "(bench/xapi.py), best of interleaved rounds; with xAPI each write adds "
        "one executemany INSERT into xapi_statements.",
        "",
    ]


def render(results: dict[str, Any]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); raw JSON in bench/results/. "
        "Absolute times vary from run to run on shared machines, so targets are "
        "ratios where the issue allows. These are benchmarks, not timed tests: the "
        "query-count guarantees are tests (tests/test_query_counts.py, "
        "tests/test_progress.py, tests/test_supervise_exports.py).",
        "",
    ]
    for part in (
        _machine, _pages, _dashboard, _content, _writes, _memory, _load, _xapi
    ):  # fmt: skip
        lines += part(results)
    analysis = ROOT / "bench" / "analysis.md"
    if analysis.exists():
        lines += [analysis.read_text().rstrip(), ""]
    return "\n".join(lines)
