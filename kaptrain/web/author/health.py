"""Content health and previews for authors: every module, served or left out.

The health rows come from the catalog the site serves (never a fresh read of the
files per request). Previews of one module are built on demand, leniently, and
cached by the module folder's fingerprint, so viewing the same preview again
renders nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cachetools import LRUCache
from flask import current_app

from kaptrain.content import (
    Catalog,
    Item,
    Links,
    Module,
    ModuleFigures,
    Problem,
    Quiz,
    Vignette,
)
from kaptrain.content.catalog import module_folders, tree_fingerprint
from kaptrain.content.preview import Preview, preview_module
from kaptrain.learning.course import ContentState

#: Site-wide rules (ids, orders, prerequisites) are checked across modules, so a
#: preview of one folder takes them from the last catalog build.
SITE_CODES = frozenset({"M2", "M3", "M4", "M5"})
PREVIEW_CACHE_SIZE = 32


@dataclass(frozen=True)
class Counts:
    """What an author checks against the CE claim."""

    lessons: int
    minutes: int
    target_minutes: int | None
    questions: int
    questions_per_hour: Decimal | None
    vignettes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ModuleHealth:
    """One module folder on the health page."""

    name: str
    id: str | None
    title: str
    version: str | None
    served: bool
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    counts: Counts | None
    #: Post-test, reference and CE-hour figures (issue 17), from the build.
    figures: ModuleFigures | None = None


def counts(items: Iterable[Item], ce_hours: object) -> Counts:
    """Counts over a module's items (rendered ones, for a broken module)."""
    items = list(items)
    hours = ce_hours if isinstance(ce_hours, Decimal) and ce_hours > 0 else None
    quiz = next((i for i in items if isinstance(i, Quiz)), None)
    questions = len(quiz.questions) if quiz else 0
    return Counts(
        lessons=sum(1 for i in items if i.kind == "lesson"),
        minutes=sum(i.estimated_minutes for i in items),
        target_minutes=int(hours * 60) if hours is not None else None,
        questions=questions,
        questions_per_hour=(
            (Decimal(questions) / hours).quantize(Decimal("0.1")) if hours else None
        ),
        vignettes=tuple(
            (i.title, len(i.nodes)) for i in items if isinstance(i, Vignette)
        ),
    )


def _display(folder: Path, modules_dir: Path) -> str:
    """A folder as problem paths name it (relative to the modules dir's parent)."""
    return folder.resolve().relative_to(modules_dir.resolve().parent).as_posix()


def _row(
    name: str,
    module_id: str | None,
    shown: Module | Preview,
    served: bool,
    problems: Sequence[Problem],
    tally: Counts,
) -> ModuleHealth:
    """One health row: title, version and figures from ``shown`` (the served
    module, or the preview of a folder left out), problems split by severity."""
    return ModuleHealth(
        name=name,
        id=module_id,
        title=shown.title,
        version=shown.version,
        served=served,
        errors=tuple(p for p in problems if p.is_error),
        warnings=tuple(p for p in problems if not p.is_error),
        counts=tally,
        figures=shown.figures,
    )


def _served(module: Module, catalog: Catalog, modules_dir: Path) -> ModuleHealth:
    prefix = _display(module.path, modules_dir) + "/"
    mine = [p for p in catalog.problems if p.path.startswith(prefix)]
    tally = counts(module.items, module.ce_hours)
    return _row(module.path.name, module.id, module, True, mine, tally)


def health_rows(state: ContentState) -> list[ModuleHealth]:
    """Every module folder of the current catalog: served ones, then left out."""
    catalog = state.current()
    rows = [_served(m, catalog, state.modules_dir) for m in catalog.modules]
    for broken in catalog.broken:
        preview = cached_preview(state, broken.path)
        listed = [i.item for i in preview.items if i.listed and i.item is not None]
        tally = counts(listed, preview.meta.get("ce_hours"))
        rows.append(
            _row(broken.name, broken.id, preview, False, broken.problems, tally)
        )
    return rows


def module_folder(state: ContentState, name: str) -> Path | None:
    """The module folder called ``name`` in the modules dir, or None.

    Only names the modules dir actually lists are accepted, so a URL can never
    reach a path outside it.
    """
    try:
        folders = module_folders(state.modules_dir)
    except OSError:
        return None
    return next((f for f in folders if f.name == name), None)


class _PreviewCache:
    """Previews by folder, valid while the folder's fingerprint is unchanged."""

    def __init__(self) -> None:
        self.entries: LRUCache[Path, tuple[tuple[str, str], Preview]] = LRUCache(
            maxsize=PREVIEW_CACHE_SIZE
        )
        self.lock = threading.Lock()
        self.builds = 0


def _preview_links(name: str) -> Links:
    from flask import url_for

    return Links(
        media=lambda _module_id, path: url_for(
            "author.preview_media", name=name, filename=path.removeprefix("media/")
        ),
        item=lambda _module_id, item_id: url_for(
            "author.preview", name=name, item_id=item_id
        ),
    )


def cached_preview(state: ContentState, folder: Path) -> Preview:
    """The lenient preview of one module folder, rendered once per version."""
    cache: _PreviewCache = current_app.extensions.setdefault(
        "kaptrain_previews", _PreviewCache()
    )
    catalog = state.current()
    key = (tree_fingerprint(folder), catalog.version)
    with cache.lock:
        entry = cache.entries.get(folder)
        if entry is not None and entry[0] == key:
            return entry[1]
    display = _display(folder, state.modules_dir)
    site = [
        p
        for p in catalog.problems
        if p.code in SITE_CODES and p.path.startswith(display + "/")
    ]
    preview = preview_module(
        folder, display=display, links=_preview_links(folder.name), extra_problems=site
    )
    with cache.lock:
        cache.builds += 1
        cache.entries[folder] = (key, preview)  # the least recent one goes
    return preview
