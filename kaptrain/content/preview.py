"""Render a module leniently, for authors: whatever can be shown, even with errors.

``preview_module`` never raises on content. It reads and checks one module
folder like a build does, then renders every item it can (filling in missing
settings with placeholders), and pairs each item with the problems found in its
file. Items that cannot be rendered at all are listed with their problems and
no HTML. The output is sanitized exactly like the catalog's.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kaptrain.content.assemble import (
    module_context,
    render_document,
    render_item,
    render_references,
)
from kaptrain.content.items import ItemDraft
from kaptrain.content.model import Item, ModuleFigures, Reference
from kaptrain.content.modules import ModuleDraft, load_module
from kaptrain.content.problems import Problem
from kaptrain.content.render import Links, Renderer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreviewItem:
    """One file of the learning path (or a stray ``.md`` file), as far as it got."""

    file: str
    display: str
    kind: str | None
    id: str | None
    title: str
    listed: bool
    item: Item | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Only the errors."""
        return tuple(p for p in self.problems if p.is_error)


@dataclass(frozen=True)
class Preview:
    """A module as far as it can be rendered, with every problem found."""

    name: str
    display: str
    id: str | None
    title: str
    version: str | None
    meta: dict[str, object]
    overview_html: str
    items: tuple[PreviewItem, ...]
    references: tuple[Reference, ...]
    #: Problems not tied to one item: module.md, references.yaml, media, ...
    module_problems: tuple[Problem, ...]
    problems: tuple[Problem, ...]
    content_hash: str
    #: The checker's figures (None when module.md could not be read).
    figures: ModuleFigures | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Every error."""
        return tuple(p for p in self.problems if p.is_error)

    def item(self, key: str) -> PreviewItem | None:
        """The item with this id, or else this file name."""
        return next((i for i in self.items if i.id == key), None) or next(
            (i for i in self.items if i.file == key), None
        )

    def neighbours(
        self, entry: PreviewItem
    ) -> tuple[PreviewItem | None, PreviewItem | None]:
        """The items before and after ``entry`` on the path (None at either end)."""
        index = self.items.index(entry)
        before = self.items[index - 1] if index else None
        after = self.items[index + 1] if index + 1 < len(self.items) else None
        return before, after


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())) or "item"


def _lenient(item: ItemDraft) -> ItemDraft:
    """A copy whose missing settings are placeholders, so it can be rendered."""
    meta = dict(item.meta)
    meta.setdefault("id", _slug(Path(item.file).stem))
    meta.setdefault("title", f"(untitled: {item.file})")
    meta.setdefault("estimated_minutes", 0)
    if item.kind == "vignette":
        meta.setdefault("start", item.nodes[0].id if item.nodes else "")
        meta.setdefault("based_on", "")
    return dataclasses.replace(item, meta=meta)


def _render(renderer: Renderer, item: ItemDraft) -> Item | None:
    try:
        return render_item(renderer, _lenient(item))
    except Exception:  # noqa: BLE001 - a preview shows what it can
        log.info("preview could not render %s", item.display, exc_info=True)
        return None


def _files(draft: ModuleDraft) -> list[tuple[str, bool]]:
    """Listed files in contents order, then other ``.md`` files beside module.md."""
    listed = list(draft.contents)
    others = sorted(
        name
        for name in draft.files
        if name.endswith(".md")
        and "/" not in name
        and name != "module.md"
        and name not in listed
    )
    return [(n, True) for n in listed] + [(n, False) for n in others]


def _overview(renderer: Renderer, draft: ModuleDraft) -> str:
    """module.md rendered, or "" when it is missing or cannot be rendered."""
    if draft.module is None or draft.module.split is None:
        return ""
    try:
        return render_document(renderer, draft.module)[0]
    except Exception:  # noqa: BLE001 - a preview shows what it can
        log.info("preview could not render %s/module.md", draft.display, exc_info=True)
        return ""


def _preview_item(
    renderer: Renderer,
    draft: ModuleDraft,
    name: str,
    listed: bool,
    problems: tuple[Problem, ...],
) -> PreviewItem:
    """One file of the module as far as it renders, with its own problems."""
    path = f"{draft.display}/{name}"
    source = draft.items.get(name)
    rendered = _render(renderer, source) if source is not None else None
    return PreviewItem(
        file=name,
        display=path,
        kind=source.kind if source else None,
        id=(rendered.id if rendered else None) or (source and source.id),
        title=(
            rendered.title
            if rendered
            else (source.meta.get("title") if source else None) or name
        ),
        listed=listed,
        item=rendered,
        problems=tuple(p for p in problems if p.path == path),
    )


def preview_module(
    folder: Path,
    *,
    display: str | None = None,
    links: Links | None = None,
    extra_problems: Iterable[Problem] = (),
) -> Preview:
    """Read, check and render one module folder as far as possible.

    ``display`` is how problem paths name the folder (default
    ``<parent>/<folder>``, as ``content check <parent>`` would print).
    ``extra_problems`` adds problems found elsewhere, such as the site-wide
    rules (duplicate ids, prerequisites) from the last catalog build.
    """
    folder = Path(folder)
    display = display or f"{folder.resolve().parent.name}/{folder.name}"
    draft = load_module(folder, display)
    problems = tuple(sorted(set(draft.problems) | set(extra_problems)))
    renderer = Renderer(links)
    meta = dict(draft.module.meta) if draft.module is not None else {}
    module_id = draft.id or _slug(folder.name)
    renderer.context = module_context(draft, module_id)
    overview = _overview(renderer, draft)
    try:
        references = render_references(renderer, draft)
    except Exception:  # noqa: BLE001
        references = ()
    items = [
        _preview_item(renderer, draft, name, listed, problems)
        for name, listed in _files(draft)
    ]
    item_paths = {item.display for item in items}
    return Preview(
        name=folder.name,
        display=display,
        id=draft.id,
        title=str(meta.get("title") or folder.name),
        version=meta.get("version"),  # type: ignore[arg-type]
        meta=meta,
        overview_html=overview,
        items=tuple(items),
        references=references,
        module_problems=tuple(p for p in problems if p.path not in item_paths),
        problems=problems,
        content_hash=draft.content_hash,
        figures=draft.figures,
    )
