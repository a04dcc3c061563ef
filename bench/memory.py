"""Memory: resident memory of one gunicorn worker with the catalog loaded and a
few pages served, for the shipped curriculum and for 100 generated modules."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from .common import (
    PASSWORD,
    ROOT,
    base_env,
    database,
    gunicorn,
    log,
    login,
    prepare_database,
    rss_mb,
)

TARGET_MB = 200.0


def _measure(label: str, modules_dir: Path | None, tmp: Path) -> dict[str, Any]:
    with database("sqlite", tmp, f"memory-{label}") as url:
        env = base_env(url, tmp / f"instance-{label}", modules_dir)
        prepare_database(env)
        with gunicorn(env) as server:
            http = login(server.url, "trainee@example.org", PASSWORD)
            for _ in range(20):
                for path in ("/modules", "/progress"):
                    http.get(f"{server.url}{path}", timeout=60)
            workers = {pid: rss_mb(pid) for pid in server.worker_pids()}
            master = rss_mb(server.process.pid)
    worst = max(workers.values())
    out = {
        "catalog": label,
        "worker_rss_mb": round(worst, 1),
        "workers": {str(k): round(v, 1) for k, v in workers.items()},
        "master_rss_mb": round(master, 1),
        "met": worst < TARGET_MB,
    }
    log(f"memory: {out}")
    return out


def run(generated: int = 100) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_modules import generate_tree

    with tempfile.TemporaryDirectory(prefix="kaptrain-bench-mem-") as tmp:
        tmp_path = Path(tmp)
        shipped = _measure("shipped", None, tmp_path)
        tree = generate_tree(tmp_path / "modules", generated, 8)
        big = _measure(f"{generated} generated", tree, tmp_path)
    return {"shipped": shipped, "generated": big}


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
