"""Check a module's files (held in memory) with the content checker, in the
context of the other published modules (ids, orders and prerequisites are
site-wide rules).

The checker reads folders, so the files are written to a private temporary tree
beside a stub of every other published module (its ``module.md`` only); the
problems of the stubs are dropped.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kaptrain.authoring import store
from kaptrain.content.catalog import check_drafts
from kaptrain.content.problems import Problem

_FOLDER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")


@dataclass(frozen=True)
class CheckedModule:
    """What the checker found in one module's files.

    ``problems`` name files relative to the module folder (``lesson-1.md``),
    so each can be shown beside its line; ``str(problem)`` reads
    ``lesson-1.md:12: error L3: ...``.
    """

    module_id: str | None
    version: str | None
    #: The line of ``version:`` in module.md (1 when absent).
    version_line: int
    content_hash: str
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """Only the errors (a module with any is never published)."""
        return tuple(p for p in self.problems if p.is_error)


def folder_problem(folder: str) -> str | None:
    """Why ``folder`` cannot name a module folder, or None."""
    if not _FOLDER.match(folder):
        return (
            f'"{folder}" cannot be a module folder name: use letters, digits, '
            "'.', '-' and '_', starting with a letter or digit (at most 120)"
        )
    return None


def write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (``{relative path: bytes}``) under ``root``."""
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def check_files(
    files: Mapping[str, bytes], *, folder: str, module_id: str | None = None
) -> CheckedModule:
    """Run the checker on ``files`` as the module folder ``folder``.

    Every other published module (all but ``module_id``) takes part through its
    ``module.md``, so a duplicate id or order, or a prerequisite that names no
    module, is found as ``content check`` would find it on the whole tree.
    """
    others = {
        mid: rev
        for mid, rev in store.published().items()
        if mid != module_id and rev.folder != folder
    }
    with tempfile.TemporaryDirectory(prefix="kaptrain-check-") as tmp:
        root = Path(tmp) / "modules"
        root.mkdir()
        write_tree(root / folder, files)
        for rev in others.values():
            head = store.read_file(rev, "module.md")
            if head is not None:
                write_tree(root / rev.folder, {"module.md": head})
        _problems, drafts = check_drafts(root)
    draft = next(d for d in drafts if d.name == folder)
    prefix = f"modules/{folder}/"
    problems = tuple(
        sorted(
            dataclasses.replace(p, path=p.path.removeprefix(prefix))
            for p in draft.problems
        )
    )
    meta = draft.module.meta if draft.module is not None else {}
    line = draft.module.line("version") if draft.module is not None else 1
    version = meta.get("version")
    return CheckedModule(
        module_id=draft.id,
        version=version if isinstance(version, str) else None,
        version_line=max(line or 1, 1),
        content_hash=store.files_hash(files),
        problems=problems,
    )
