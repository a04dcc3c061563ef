"""Page throughput: four trainee pages against the stack's own ceiling.

One gunicorn (2 sync workers) serves the real app wrapped by
``bench/ceiling_app.py``. Signed in as the demo trainee, the benchmark fetches a
lesson page, writes its bytes for the ceiling routes, then drives each path in
turn for the same time with the same client and concurrency. Each page's
requests per second is reported as a share of ``/__ceiling`` (same bytes, same
Flask stack, no work); ``/__raw`` (same bytes below Flask) is shown for scale.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from .common import (
    PASSWORD,
    LoadResult,
    base_env,
    cookie_header,
    csrf_token,
    database,
    gunicorn,
    hammer,
    log,
    login,
    prepare_database,
)

LESSON_TARGET = 0.60
PAGE_TARGET = 0.40


def _first_lesson(url: str, http: Any) -> tuple[str, str, str]:
    """(module path, lesson path, id of the module) of the first open module."""
    import re

    catalog = http.get(f"{url}/modules", timeout=30).text
    module_path = re.search(r'href="(/modules/[^"/]+)"', catalog).group(1)
    page = http.get(f"{url}{module_path}", timeout=30).text
    items = re.findall(rf'href="({re.escape(module_path)}/[^"/?#]+)"', page)
    # The first item whose page is a lesson (the path may open with the pre-test);
    # ?note=seen goes past a content note, as the note's Continue link does.
    lesson = next(
        f"{p}?note=seen"
        for p in dict.fromkeys(items)
        if '<article class="lesson"' in http.get(f"{url}{p}?note=seen", timeout=30).text
    )
    return module_path, lesson, module_path.rsplit("/", 1)[1]


def _merge(runs: list[LoadResult]) -> dict[str, Any]:
    merged = LoadResult(
        runs[0].path,
        sum(r.requests for r in runs),
        sum(r.errors for r in runs),
        sum(r.seconds for r in runs),
        [x for r in runs for x in r.latencies_ms],
        runs[-1].bytes,
    )
    return merged.summary()


def _progress_for_trainee(url: str, http: Any, module_path: str, lesson: str) -> None:
    """Give the trainee some history: the lesson marked complete."""
    page = http.get(f"{url}{lesson}", timeout=30).text
    http.post(
        f"{url}{lesson.split('?')[0]}/complete",
        data={"csrf_token": csrf_token(page)},
        allow_redirects=False,
        timeout=30,
    )


def run(
    db_kind: str = "postgresql",
    seconds: float = 1.5,
    rounds: int = 3,
    concurrency: int = 8,
    modules_dir: Path | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kaptrain-bench-pages-") as tmp:
        tmp_path = Path(tmp)
        ceiling_file = tmp_path / "lesson.html"
        ceiling_file.write_bytes(b"")
        with database(db_kind, tmp_path, "pages") as url:
            env = base_env(url, tmp_path / "instance", modules_dir)
            env["KAPTRAIN_BENCH_CEILING_FILE"] = str(ceiling_file)
            prepare_database(env)
            with gunicorn(env, app="bench.ceiling_app:app") as server:
                http = login(server.url, "trainee@example.org", PASSWORD)
                module_path, lesson, _module_id = _first_lesson(server.url, http)
                _progress_for_trainee(server.url, http, module_path, lesson)
                lesson_bytes = http.get(f"{server.url}{lesson}", timeout=30).content
                ceiling_file.write_bytes(lesson_bytes)
                cookies = cookie_header(http)
                paths = {
                    "ceiling": "/__ceiling",
                    "raw": "/__raw",
                    "session": "/__session",
                    "lesson": lesson,
                    "module": module_path,
                    "catalog": "/modules",
                    "progress": "/progress",
                }
                # Interleaved short rounds: the load other work puts on a shared
                # machine drifts, so each share compares neighbours in time.
                samples: dict[str, list[Any]] = {name: [] for name in paths}
                for round_ in range(rounds):
                    for name, path in paths.items():
                        samples[name].append(
                            hammer(
                                server.url,
                                path,
                                cookies,
                                seconds=seconds,
                                concurrency=concurrency,
                                warmup=0.3,
                            )
                        )
                    log(
                        f"pages[{db_kind}] round {round_ + 1}: "
                        + ", ".join(f"{n} {s[-1].rps:.0f}" for n, s in samples.items())
                    )
    results = {name: _merge(runs) for name, runs in samples.items()}
    shares = {
        name: statistics.median(
            page.rps / max(ceiling.rps, 1e-9)
            for page, ceiling in zip(runs, samples["ceiling"], strict=True)
        )
        for name, runs in samples.items()
    }
    rows = []
    for name in ("lesson", "module", "catalog", "progress"):
        share = shares[name]
        target = LESSON_TARGET if name == "lesson" else PAGE_TARGET
        rows.append(
            {
                "page": name,
                "path": results[name]["path"],
                "rps": results[name]["rps"],
                "share": round(share, 3),
                "target": target,
                "met": share >= target and results[name]["errors"] == 0,
                "p50_ms": results[name]["p50_ms"],
                "bytes": results[name]["bytes"],
                "errors": results[name]["errors"],
            }
        )
    return {
        "database": db_kind,
        "seconds": seconds,
        "rounds": rounds,
        "concurrency": concurrency,
        "lesson_bytes": len(lesson_bytes),
        "ceiling": results["ceiling"],
        "raw": results["raw"],
        "session": {**results["session"], "share": round(shares["session"], 3)},
        "pages": rows,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "postgresql"), indent=2))
