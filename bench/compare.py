"""``make bench-compare OLD=<commit>``: the same benchmarks on two (or more)
source trees in one run, and a before/after table.

Each commit named is checked out with ``git worktree add --detach`` under
``/tmp/kaptrain-bench-trees/`` (removed again at the end unless ``--keep``); the
working tree (``new``, uncommitted changes included) is measured as it is. Every
tree gets its own databases prepared by its own migrations and ``flask demo``, so
each measures exactly its own code on the same content (this tree's
``modules/``, less the front-matter keys older trees refuse: ``shared_modules``).
The dashboard trees share one PostgreSQL database of synthetic cohorts
(``bench/synthetic.py``, 1,000 and 5,000 trainees), loaded once.

The measure is CPU time per request of the process serving it (see
``bench/compare_worker.py``), because the machines these run on are shared.
Rounds are interleaved (tree A, tree B, tree A, ...) and each cell is the median
over ``--repeat`` fresh processes. A page's *share* is ceiling CPU ÷ page CPU, the
in-process counterpart of ``make bench``'s requests-per-second share.

Usage: ``python -m bench.compare --old 941b43f [--also NAME=REF ...] [--repeat 3]
[--only pages-sqlite,pages-postgresql,dashboard] [--out bench/results/compare.md]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from .common import PASSWORD, ROOT, base_env, log, pg_available, pg_database
from .compare_table import render

TREES = Path(tempfile.gettempdir()) / "kaptrain-bench-trees"
WORKER = Path(__file__).with_name("compare_worker.py")
KINDS = ("pages-sqlite", "pages-postgresql", "dashboard")
SIZES = (1000, 5000)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


@contextmanager
def checkout(ref: str, keep: bool) -> Any:
    """A detached worktree of ``ref`` (reused if already there)."""
    sha = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    path = TREES / sha[:12]
    if not (path / "kaptrain").is_dir():
        TREES.mkdir(parents=True, exist_ok=True)
        _git("worktree", "add", "--detach", "--force", str(path), sha)
    try:
        yield path
    finally:
        if not keep:
            _git("worktree", "remove", "--force", str(path))


#: Front-matter keys this tree's modules carry that older trees refuse
#: (``planners``, issue 16). Every tree serves the same copy without them.
NEWER_KEYS = ("planners",)


def shared_modules(target: Path) -> Path:
    """A copy of this tree's ``modules/`` that every compared tree accepts:
    the same content, minus the module front-matter keys in ``NEWER_KEYS``
    (a key's block runs until the next unindented line)."""
    if target.is_dir():
        return target
    shutil.copytree(ROOT / "modules", target)
    for module_md in target.glob("*/module.md"):
        kept, skipping = [], False
        for line in module_md.read_text(encoding="utf-8").splitlines(keepends=True):
            top_level = bool(line.strip()) and not line[0].isspace()
            if top_level:
                skipping = line.split(":", 1)[0] in NEWER_KEYS
            if not skipping:
                kept.append(line)
        module_md.write_text("".join(kept), encoding="utf-8")
    return target


def _env(tree: Path, url: str, instance: Path) -> dict[str, str]:
    modules = shared_modules(instance.parent / "shared-modules")
    env = base_env(url, instance, modules)
    env["PYTHONPATH"] = str(tree)
    return env


def _flask(tree: Path, env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "kaptrain", *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{tree}: flask {' '.join(args)}:\n{result.stderr[-2000:]}")


def _work(tree: Path, env: dict[str, str], job: dict[str, Any]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(job, handle)
    result = subprocess.run(
        [sys.executable, str(WORKER), handle.name],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    Path(handle.name).unlink()
    if result.returncode:
        raise RuntimeError(f"{tree}: worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _page_envs(
    stack: ExitStack, trees: dict[str, Path], kind: str, tmp: Path
) -> dict[str, dict[str, str]]:
    """A fresh database per tree, migrated and seeded by that tree's code."""
    envs = {}
    for name, tree in trees.items():
        if kind == "sqlite":
            url = f"sqlite:///{tmp / f'{name}.db'}"
        else:
            url = stack.enter_context(pg_database(f"cmp_{name[:20]}"))
        env = _env(tree, url, tmp / f"instance-{kind}-{name}")
        _flask(tree, env, "db", "upgrade")
        _flask(tree, env, "demo")
        envs[name] = env
    return envs


def _supervisors(url: str, tmp: Path, count: int) -> dict[str, Any]:
    """Synthetic cohorts and ``count`` supervisors (one per sign-in: a TOTP code
    is accepted once), built with this tree's code in a child process."""
    env = _env(ROOT, url, tmp / "instance-dash")
    _flask(ROOT, env, "db", "upgrade")
    # This tree serves the published revisions: publish modules/ (older trees
    # sharing the database serve the folder and ignore the content tables).
    _flask(ROOT, env, "content", "import")
    script = (
        "import json,sys; from bench.compare_setup import setup; "
        "print(json.dumps(setup(int(sys.argv[1]), sys.argv[2])))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(count), PASSWORD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"dashboard set-up failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(args: argparse.Namespace) -> dict[str, Any]:
    kinds = [k for k in args.only.split(",") if k]
    if not pg_available():
        kinds = [k for k in kinds if k == "pages-sqlite"]
        log("PostgreSQL not reachable: only pages-sqlite is measured")
    results: dict[str, Any] = {k: {} for k in kinds}
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="kt-cmp-") as tmp:
        tmp_path = Path(tmp)
        trees = {"old": stack.enter_context(checkout(args.old, args.keep))}
        for spec in args.also:
            name, _, ref = spec.partition("=")
            trees[name] = stack.enter_context(checkout(ref or name, args.keep))
        trees["new"] = (
            stack.enter_context(checkout(args.new, args.keep)) if args.new else ROOT
        )
        log("trees: " + ", ".join(f"{n}={t}" for n, t in trees.items()))
        jobs = _jobs(stack, trees, kinds, args, tmp_path)
        for repeat in range(args.repeat):
            for kind, name, env, job in jobs(repeat):
                sample = _work(trees[name], env, job)
                results[kind].setdefault(name, []).append(sample)
                log(f"{kind} {name} #{repeat + 1}: {_brief(sample)}")
        shas = {n: _describe(t) for n, t in trees.items()}
    return {
        "old": args.old,
        "trees": shas,
        "refs": {"old": args.old, **dict(s.partition("=")[::2] for s in args.also)},
        "repeat": args.repeat,
        "results": {
            k: {n: _median(s) for n, s in v.items()} for k, v in results.items()
        },
        "samples": results,
    }


def _jobs(
    stack: ExitStack,
    trees: dict[str, Path],
    kinds: list[str],
    args: argparse.Namespace,
    tmp: Path,
) -> Any:
    envs: dict[str, dict[str, dict[str, str]]] = {}
    for kind in kinds:
        if kind.startswith("pages-"):
            db = kind.removeprefix("pages-")
            envs[kind] = _page_envs(stack, trees, db, tmp)
    dash: dict[str, Any] = {}
    if "dashboard" in kinds:
        url = stack.enter_context(pg_database("cmp_dash"))
        log("dashboard: loading the synthetic cohorts")
        dash = _supervisors(url, tmp, len(trees) * args.repeat)
        envs["dashboard"] = {
            n: _env(t, url, tmp / f"inst-d-{n}") for n, t in trees.items()
        }

    def jobs(repeat: int) -> Any:
        slot = repeat * len(trees)
        # Each repeat starts with another tree, so none is always measured
        # first or last (drift over a run then falls on every tree alike).
        names = list(trees)
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for kind in kinds:
            for name in order:
                index = names.index(name)
                job: dict[str, Any] = {"kind": kind.split("-")[0], "password": PASSWORD}
                if kind == "dashboard":
                    email, secret = dash["supervisors"][slot + index]
                    job.update(
                        supervisor=email,
                        totp=secret,
                        runs=args.runs,
                        cohorts=dash["cohorts"],
                    )
                else:
                    job.update(rounds=args.rounds, requests=args.requests)
                yield kind, name, envs[kind][name], job

    return jobs


def _describe(tree: Path) -> str:
    sha = _git("-C", str(tree), "rev-parse", "--short", "HEAD")
    dirty = _git("-C", str(tree), "status", "--porcelain", "--untracked-files=no")
    return f"{sha} + uncommitted changes" if dirty else sha


def _median(samples: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, first in samples[0].items():
        if isinstance(first, dict):
            out[key] = _median([s[key] for s in samples])
        else:
            out[key] = statistics.median(s[key] for s in samples)
    out["_samples"] = len(samples)
    return out


def _brief(sample: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} {v['cpu_ms']:.0f}" if isinstance(v, dict) else f"{k} {v:.2f}"
        for k, v in sample.items()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare")
    parser.add_argument("--old", required=True, help="commit to compare against")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=REF",
        help="more commits to measure in the same run",
    )
    parser.add_argument(
        "--new", default="", help="a commit to measure as new (default: this tree)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="processes per tree")
    parser.add_argument("--only", default=",".join(KINDS))
    parser.add_argument("--rounds", type=int, default=3, help="page rounds per process")
    parser.add_argument(
        "--requests", type=int, default=150, help="GETs per page per round"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="dashboard/CSV GETs per size"
    )
    parser.add_argument("--keep", action="store_true", help="keep the worktrees")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "compare.md"))
    args = parser.parse_args(argv)
    # A stopped run still drops its databases and removes its worktrees:
    # SIGTERM becomes SystemExit, so every context manager's cleanup runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2))
    out.write_text(render(results))
    print(render(results))
    log(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
