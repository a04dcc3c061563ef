"""A draft's files on disk, checked and previewed with the same code as ``content
check`` and the author preview.

``check_draft`` runs :func:`kaptrain.authoring.checking.check_files` (the
checker of ``content check``, beside the other published modules) and groups
the problems by file and line, with the same codes and messages. ``preview``
writes the files to a private temporary folder and renders them with
:func:`kaptrain.content.preview.preview_module`: sanitised like the catalog
(nh3), no author script ever runs. Both are cached by the files' hash and the
published content version, so viewing a draft again checks nothing.
"""

from __future__ import annotations

import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from kaptrain.authoring import store
from kaptrain.authoring.checking import CheckedModule, check_files, write_tree
from kaptrain.content.preview import Preview, preview_module
from kaptrain.content.problems import Problem
from kaptrain.content.render import Links

CACHE_SIZE = 32


@dataclass(frozen=True)
class DraftCheck:
    """The checker's findings on a draft, by file and line."""

    checked: CheckedModule

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem (strict-only warnings left out, as ``content check``)."""
        return tuple(p for p in self.checked.problems if not p.strict_only)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Only the errors: a draft with any cannot be submitted or published."""
        return tuple(p for p in self.problems if p.is_error)

    def for_file(self, path: str) -> tuple[Problem, ...]:
        """The problems of one file, by line."""
        return tuple(p for p in self.problems if p.path == path)

    def by_line(self, path: str) -> dict[int, list[Problem]]:
        """``{line: [problems]}`` for one file."""
        lines: dict[int, list[Problem]] = {}
        for problem in self.for_file(path):
            lines.setdefault(problem.line, []).append(problem)
        return lines

    def counts(self) -> dict[str, tuple[int, int]]:
        """``{path: (errors, warnings)}`` for the file list."""
        found: dict[str, tuple[int, int]] = {}
        for problem in self.problems:
            errors, warnings = found.get(problem.path, (0, 0))
            found[problem.path] = (
                (errors + 1, warnings) if problem.is_error else (errors, warnings + 1)
            )
        return found


@dataclass(frozen=True)
class CeCounts:
    """What an author checks against the CE claim."""

    minutes: int
    claimed_minutes: int | None
    ce_hours: Decimal | None
    post_test_items: int
    items_per_hour: Decimal | None


class _Cache:
    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = make()
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > CACHE_SIZE:
                self.entries.popitem(last=False)
        return value


_checks = _Cache()


def check_draft(
    files: Mapping[str, bytes], *, folder: str, module_id: str
) -> DraftCheck:
    """Check a draft's files as ``content check`` would (cached)."""
    key = (folder, module_id, store.files_hash(files), store.read_counter())
    return _checks.get(
        key,
        lambda: DraftCheck(check_files(files, folder=folder, module_id=module_id)),
    )


_previews = _Cache()


def preview(
    files: Mapping[str, bytes],
    *,
    folder: str,
    links: Links,
    extra_problems: tuple[Problem, ...] = (),
    cache_key: object = None,
) -> Preview:
    """Render the draft as far as possible, as a trainee would see it.

    Problem paths read ``<folder>/<file>``; ``extra_problems`` (module-relative
    paths, from :func:`check_draft`) add the site-wide findings. With a
    ``cache_key`` (the draft's id: links differ per draft) the rendering is
    kept until the files or the published version change.
    """
    if cache_key is None:
        return _render(files, folder, links, extra_problems)
    key = (cache_key, folder, store.files_hash(files), store.read_counter())
    return _previews.get(key, lambda: _render(files, folder, links, extra_problems))


def _render(
    files: Mapping[str, bytes],
    folder: str,
    links: Links,
    extra_problems: tuple[Problem, ...],
) -> Preview:
    with tempfile.TemporaryDirectory(prefix="kaptrain-draft-") as tmp:
        root = Path(tmp) / folder
        root.mkdir()
        write_tree(root, files)
        site = [
            _prefixed(p, folder)
            for p in extra_problems
            if p.code in {"M2", "M3", "M4", "M5"}
        ]
        return preview_module(root, display=folder, links=links, extra_problems=site)


def _prefixed(problem: Problem, folder: str) -> Problem:
    import dataclasses

    return dataclasses.replace(problem, path=f"{folder}/{problem.path}")


def ce_counts(result: Preview) -> CeCounts:
    """Minutes against ``ce_hours`` and post-test items per CE hour."""
    raw = result.meta.get("ce_hours")
    try:
        hours = Decimal(str(raw)) if raw is not None else None
    except ArithmeticError:
        hours = None
    if hours is not None and hours <= 0:
        hours = None
    minutes = sum(i.item.estimated_minutes for i in result.items if i.listed and i.item)
    quiz = next(
        (i.item for i in result.items if i.item is not None and i.kind == "quiz"),
        None,
    )
    items = len(quiz.questions) if quiz is not None else 0  # type: ignore[attr-defined]
    return CeCounts(
        minutes=minutes,
        claimed_minutes=int(hours * 60) if hours is not None else None,
        ce_hours=hours,
        post_test_items=items,
        items_per_hour=(
            (Decimal(items) / hours).quantize(Decimal("0.1")) if hours else None
        ),
    )


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """``[(1, first line), ...]`` for the editor's line-numbered view."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return list(enumerate(lines or [""], start=1))


def as_text(data: bytes) -> str | None:
    """A file body as text, or None for a binary (image) file."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
