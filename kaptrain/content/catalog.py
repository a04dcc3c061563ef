"""Build the catalog from a modules tree, with the site-wide rules."""

from __future__ import annotations

import hashlib
import os
from collections import deque
from pathlib import Path
from types import MappingProxyType

from kaptrain.content.cache import RenderCache
from kaptrain.content.model import BrokenModule, BuildResult, Catalog, Module
from kaptrain.content.modules import ModuleDraft, load_module
from kaptrain.content.pipeline import (
    PARALLEL_MIN_MODULES,
    Job,
    Outcome,
    quick_hash,
    run_jobs,
    worker_count,
)
from kaptrain.content.problems import Problem, Problems, did_you_mean
from kaptrain.content.render import Links


def module_folders(modules_dir: Path) -> list[Path]:
    """Module folders to read: every subfolder not starting with ``.`` or ``_``.

    A directory that itself holds ``module.md`` is checked as a single module,
    so an author can check just the module they are writing.
    """
    if (modules_dir / "module.md").is_file():
        return [modules_dir]
    return sorted(
        p
        for p in modules_dir.iterdir()
        if p.is_dir() and not p.name.startswith((".", "_"))
    )


def build_catalog(
    modules_dir: Path,
    *,
    links: Links | None = None,
    previous: Catalog | None = None,
    cache: RenderCache | None = None,
    workers: int | None = None,
) -> BuildResult:
    """Read, check and render every module under ``modules_dir``.

    Pass the ``previous`` catalog (built with the same ``links``) on a reload:
    modules whose files are unchanged (same ``content_hash``) are reused instead
    of rendered again; every file is still read and checked. A ``cache`` keeps
    renderings on disk across builds and processes. ``workers`` sets how many
    processes render (default: one per CPU, up to 8, when at least
    ``PARALLEL_MIN_MODULES`` modules need rendering; 1 renders in this process).

    Raises ``FileNotFoundError`` when ``modules_dir`` is not a directory; every
    problem inside the tree is reported, never raised. Modules with errors are
    listed in ``catalog.broken``; all others are served.
    """
    reusable = {m.path: m for m in previous.modules} if previous is not None else {}
    jobs = []
    for folder, display in _located_folders(modules_dir):
        old = reusable.get(folder)
        jobs.append(
            Job(
                folder=folder,
                display=display,
                reuse_hash=old.content_hash if old is not None else None,
            )
        )
    # A large tree is read and checked in forked workers even when every
    # rendering comes from the cache: parsing megabytes of Markdown leaves a
    # fragmented heap behind (about 60 MB for 100 modules), which a worker
    # process takes with it when it exits; this process only unpickles modules.
    pending = len(jobs) if workers is not None else _to_render(jobs, cache, links)
    if workers is None and len(jobs) >= PARALLEL_MIN_MODULES:
        pending = len(jobs)
    workers = worker_count(pending, workers)
    outcomes = run_jobs(jobs, links=links, cache=cache, workers=workers)
    drafts = [o.draft for o in outcomes]
    _check_site(drafts)
    catalog = _catalog(outcomes, reusable)
    rendered = sum(1 for o in outcomes if o.rendered)
    return BuildResult(
        catalog=catalog, problems=catalog.problems, rendered=rendered, workers=workers
    )


def _located_folders(modules_dir: Path) -> list[tuple[Path, str]]:
    """Each module folder with the path problems name it by (from the tree's
    parent, e.g. ``modules/grief``); FileNotFoundError without the tree."""
    modules_dir = Path(modules_dir)
    if not modules_dir.is_dir():
        raise FileNotFoundError(f"{modules_dir} is not a directory")
    base = modules_dir.resolve().parent
    return [
        (folder, folder.resolve().relative_to(base).as_posix())
        for folder in module_folders(modules_dir)
    ]


def _catalog(outcomes: list[Outcome], reusable: dict[Path, Module]) -> Catalog:
    """Served and broken modules from the outcomes, with the content version."""
    modules: list[Module] = []
    broken: list[BrokenModule] = []
    for outcome in outcomes:
        draft = outcome.draft
        if draft.has_errors or draft.module is None:
            broken.append(
                BrokenModule(
                    name=draft.name,
                    id=draft.id,
                    path=draft.path,
                    problems=tuple(sorted(draft.problems)),
                )
            )
        elif outcome.reused:
            modules.append(reusable[draft.path])
        else:
            assert outcome.module is not None  # noqa: S101 - valid and not reused
            modules.append(outcome.module)
    modules.sort(key=lambda m: (m.order, m.id))
    drafts = [o.draft for o in outcomes]
    version = hashlib.sha256(
        "".join(f"{d.display}:{d.content_hash}\n" for d in drafts).encode()
    ).hexdigest()
    return Catalog(
        modules=tuple(modules),
        broken=tuple(broken),
        problems=tuple(sorted(p for d in drafts for p in d.problems)),
        version=version,
        by_id=MappingProxyType({m.id: m for m in modules}),
    )


def check_tree(modules_dir: Path) -> tuple[tuple[Problem, ...], int]:
    """Every problem under ``modules_dir`` and the number of module folders.

    What ``content check`` needs: the same reading and rules as
    :func:`build_catalog`, without rendering (which finds no problems and is
    most of a build's cost). Raises ``FileNotFoundError`` like it.
    """
    problems, drafts = check_drafts(modules_dir)
    return problems, len(drafts)


def check_drafts(
    modules_dir: Path,
) -> tuple[tuple[Problem, ...], list[ModuleDraft]]:
    """Like :func:`check_tree`, with the checked module drafts (their figures)."""
    drafts = [
        load_module(folder, display)
        for folder, display in _located_folders(modules_dir)
    ]
    _check_site(drafts)
    return tuple(sorted(p for d in drafts for p in d.problems)), drafts


def _to_render(jobs: list[Job], cache: RenderCache | None, links: Links | None) -> int:
    """How many modules will need rendering (a guess: errors are not known yet)."""
    if cache is None and not any(job.reuse_hash for job in jobs):
        return len(jobs)
    count = 0
    for job in jobs:
        content_hash = quick_hash(job.folder)
        if content_hash == job.reuse_hash:
            continue
        if cache is not None and cache.path(cache.key(content_hash, links)).is_file():
            continue
        count += 1
    return count


def _check_site(drafts: list[ModuleDraft]) -> None:
    """Unique ids and orders; prerequisites exist and form no cycle."""
    named = [d for d in drafts if d.module is not None and d.id is not None]

    def out(d: ModuleDraft) -> Problems:
        return Problems(f"{d.display}/module.md", d.problems)

    for key, code in (("id", "M2"), ("order", "M3")):
        groups: dict[object, list[ModuleDraft]] = {}
        for d in named:
            value = d.module.meta.get(key)  # type: ignore[union-attr]
            if value is not None:
                groups.setdefault(value, []).append(d)
        for value, group in groups.items():
            for d in group if len(group) > 1 else ():
                others = ", ".join(
                    f"{o.display}/module.md" for o in group if o is not d
                )
                out(d).error(
                    d.module.line(key),
                    code,  # type: ignore[union-attr]
                    f'{key} "{value}" is also used by {others}; each module '
                    f"needs its own {key}",
                )
    ids = {d.id for d in named}
    edges: dict[str, list[str]] = {}
    for d in named:
        prereqs = d.module.meta.get("prerequisites", ())  # type: ignore[union-attr]
        line = d.module.line("prerequisites")  # type: ignore[union-attr]
        edges.setdefault(d.id, []).extend(p for p in prereqs if p in ids)  # type: ignore[arg-type]
        for prereq in prereqs:
            if prereq not in ids:
                out(d).error(
                    line,
                    "M4",
                    f'prerequisite "{prereq}" is not a module id.'
                    f"{did_you_mean(prereq, sorted(ids))}",
                )
    for d in named:
        path = _cycle(d.id, edges)  # type: ignore[arg-type]
        if path:
            out(d).error(
                d.module.line("prerequisites"),  # type: ignore[union-attr]
                "M5",
                f"prerequisites form a cycle: {' -> '.join(path)}; "
                "remove one of these prerequisites",
            )


def _cycle(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """A path start -> ... -> start through prerequisites, or None."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in edges.get(node, ()):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return (
                    [start, *reversed(path[:-1]), start]
                    if node != start
                    else [start, start]
                )
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None


def tree_fingerprint(modules_dir: Path) -> str:
    """A cheap fingerprint from names, sizes and mtimes, without reading files.

    The web app compares it between requests in development to know when to
    rebuild the catalog.
    """
    digest = hashlib.sha256()
    for root, dirs, names in os.walk(modules_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            try:
                stat = os.stat(os.path.join(root, name))
            except OSError:
                continue
            digest.update(
                f"{root}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()
