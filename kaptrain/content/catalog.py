"""Build the catalog from a modules tree, with the site-wide rules."""

from __future__ import annotations

import hashlib
import os
from collections import deque
from pathlib import Path
from types import MappingProxyType

from .assemble import assemble
from .model import BrokenModule, BuildResult, Catalog, Module
from .modules import ModuleDraft, load_module
from .problems import Problems, did_you_mean
from .render import Links, Renderer


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
    modules_dir: Path, *, links: Links | None = None, previous: Catalog | None = None
) -> BuildResult:
    """Read, check and render every module under ``modules_dir``.

    Pass the ``previous`` catalog (built with the same ``links``) on a reload:
    modules whose files are unchanged (same ``content_hash``) are reused instead
    of rendered again; every file is still read and checked.

    Raises ``FileNotFoundError`` when ``modules_dir`` is not a directory; every
    problem inside the tree is reported, never raised. Modules with errors are
    listed in ``catalog.broken``; all others are served.
    """
    modules_dir = Path(modules_dir)
    if not modules_dir.is_dir():
        raise FileNotFoundError(f"{modules_dir} is not a directory")
    base = modules_dir.resolve().parent
    drafts = []
    for folder in module_folders(modules_dir):
        display = folder.resolve().relative_to(base).as_posix()
        drafts.append(load_module(folder, display))
    _check_site(drafts)
    renderer = Renderer(links)
    modules: list[Module] = []
    broken: list[BrokenModule] = []
    for draft in drafts:
        if draft.has_errors or draft.module is None:
            broken.append(
                BrokenModule(
                    name=draft.name,
                    id=draft.id,
                    path=draft.path,
                    problems=tuple(sorted(draft.problems)),
                )
            )
        else:
            old = previous.get(draft.id or "") if previous is not None else None
            if (
                old is not None
                and old.content_hash == draft.content_hash
                and (old.path == draft.path)
            ):
                modules.append(old)
            else:
                modules.append(assemble(draft, renderer))
    modules.sort(key=lambda m: (m.order, m.id))
    problems = tuple(sorted(p for d in drafts for p in d.problems))
    version = hashlib.sha256(
        "".join(f"{d.display}:{d.content_hash}\n" for d in drafts).encode()
    ).hexdigest()
    catalog = Catalog(
        modules=tuple(modules),
        broken=tuple(broken),
        problems=problems,
        version=version,
        by_id=MappingProxyType({m.id: m for m in modules}),
    )
    return BuildResult(catalog=catalog, problems=problems)


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
