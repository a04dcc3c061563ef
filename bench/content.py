"""Content: build and check 100 generated modules of 8 lessons each.

Each measure runs in a fresh Python process (so imports, caches and memory start
from nothing): a cold build (no render cache), a warm build (render cache on
disk from the cold one, as a restarted server sees it), ``content check`` (which
never uses the cache), and the memory the built catalog holds (resident memory
before and after, with the catalog kept alive). Then the app, with the generated
tree as its modules folder, serves lesson pages while the renderer is watched:
no Markdown may be rendered per request.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import ROOT, log

MODULES = 100
LESSONS = 8
BUILD_TARGET_S = 5.0


def _child(mode: str, tree: Path, cache: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "bench.content", "--child", mode, str(tree), str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"content {mode} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(modules: int = MODULES, lessons: int = LESSONS) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_modules import generate_tree

    with tempfile.TemporaryDirectory(prefix="kaptrain-bench-content-") as tmp:
        tree = Path(tmp) / "modules"
        cache = Path(tmp) / "cache"
        generate_tree(tree, modules, lessons)
        md_bytes = sum(p.stat().st_size for p in tree.rglob("*.md"))
        out: dict[str, Any] = {
            "modules": modules,
            "lessons_per_module": lessons,
            "markdown_mb": round(md_bytes / 1024 / 1024, 2),
        }
        for mode in ("cold", "warm", "check", "memory", "requests"):
            log(f"content: {mode}")
            out[mode] = _child(mode, tree, cache)
            log(f"  {out[mode]}")
    out["cold_met"] = out["cold"]["seconds"] < BUILD_TARGET_S
    out["warm_met"] = out["warm"]["seconds"] < BUILD_TARGET_S
    out["check_met"] = out["check"]["seconds"] < BUILD_TARGET_S
    out["no_render_per_request"] = out["requests"]["renders"] == 0
    return out


# -- child processes -------------------------------------------------------------


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu_s() -> float:
    """CPU seconds used so far by this process and its finished workers: on a
    shared machine wall time depends on the other load, CPU time much less."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _timed_build(tree: Path, cache_dir: Path | None, workers: int | None) -> dict:
    from kaptrain.content import build_catalog
    from kaptrain.content.cache import RenderCache

    cache = RenderCache(cache_dir) if cache_dir else None
    cpu = _cpu_s()
    started = time.perf_counter()
    result = build_catalog(tree, cache=cache, workers=workers)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(_cpu_s() - cpu, 2),
        "workers": result.workers,
        "modules": len(result.catalog.modules),
        "problems": len(result.problems),
        "rendered": result.rendered,
    }


def _check(tree: Path) -> dict:
    import io

    from kaptrain.content import run_check

    cpu = _cpu_s()
    started = time.perf_counter()
    code = run_check(tree, out=io.StringIO())
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(_cpu_s() - cpu, 2),
        "exit": code,
    }


def _memory(tree: Path) -> dict:
    import gc

    import kaptrain.content  # noqa: F401 - imports are not the catalog's memory
    from kaptrain.content import build_catalog

    gc.collect()
    before = _rss_kb()
    result = build_catalog(tree)
    catalog = result.catalog
    del result
    gc.collect()
    after = _rss_kb()
    return {
        "catalog_mb": round((after - before) / 1024, 1),
        "process_rss_mb": round(after / 1024, 1),
        "modules": len(catalog.modules),
    }


def _requests(tree: Path) -> dict:
    """Serve every lesson of a few modules and count Markdown renders."""
    import logging
    import os

    logging.disable(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="kaptrain-bench-req-"))
    os.environ["KAPTRAIN_INSTANCE_DIR"] = str(tmp)
    from kaptrain import create_app
    from kaptrain.content import render
    from kaptrain.extensions import db
    from kaptrain.people import accounts

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'r.db'}",
            "SECRET_KEY": "bench-requests-0123456789abcdef0123",
            "MODULES_DIR": tree,
            "CONTENT_AUTO_RELOAD": False,
            "CONTENT_CACHE_DIR": "",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "PASSWORD_METHOD": "scrypt:16384:8:1",
        }
    )
    with app.app_context():
        db.create_all()
        accounts.create_user("r@example.org", "Reader", "quiet-harbour-lantern-47")
        catalog = app.extensions["kaptrain"].catalog
        paths = [
            f"/modules/{m.id}/{lesson.id}"
            for m in catalog.modules[:1]
            for lesson in m.lessons
        ]
        paths += [f"/modules/{m.id}" for m in catalog.modules[:1]] + ["/modules"]
    renders = 0
    original = (render.Renderer.document, render.Renderer.fragment)

    def count(method: Any) -> Any:
        def wrapper(self: Any, source: str) -> Any:
            nonlocal renders
            renders += 1
            return method(self, source)

        return wrapper

    render.Renderer.document = count(original[0])  # type: ignore[method-assign]
    render.Renderer.fragment = count(original[1])  # type: ignore[method-assign]
    client = app.test_client()
    client.post(
        "/login",
        data={"email": "r@example.org", "password": "quiet-harbour-lantern-47"},
    )
    statuses = [client.get(p).status_code for p in paths]
    return {"pages": len(paths), "ok": statuses.count(200), "renders": renders}


def _main(argv: list[str]) -> None:
    mode, tree, cache = argv[1], Path(argv[2]), Path(argv[3])
    if mode == "cold":
        out = _timed_build(tree, cache, None)
    elif mode == "warm":
        out = _timed_build(tree, cache, None)
    elif mode == "serial":
        out = _timed_build(tree, None, 1)
    elif mode == "check":
        out = _check(tree)
    elif mode == "memory":
        out = _memory(tree)
    else:
        out = _requests(tree)
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _main(sys.argv[1:])
    else:
        print(json.dumps(run(), indent=2))
