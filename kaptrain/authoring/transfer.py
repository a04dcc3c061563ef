"""Files are the interchange format: ``content import`` and ``content export``.

``import_folder`` checks a modules folder as ``content check`` does and publishes
one revision for each module whose files changed. A module with errors is not
published (its previous revision stays). A module whose published revision was
made in the studio after its last import is not overwritten unless ``force``:
a deploy from git must never silently drop an author's web edit.

``export_modules`` writes revisions back as files, byte for byte, so a team can
commit web edits to git; importing an export changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from kaptrain.authoring import store
from kaptrain.authoring.checking import CheckedModule, check_files
from kaptrain.authoring.revisions import PublishError, publish_revision
from kaptrain.content.catalog import check_drafts
from kaptrain.content.modules import ModuleDraft, list_files
from kaptrain.content.problems import Problem
from kaptrain.models import User
from kaptrain.models.content import SOURCE_IMPORT


@dataclass
class ImportReport:
    """What an import did, module by module."""

    #: ``(module id, revision number)`` of each new revision.
    published: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    #: Module folder -> why it was not published (problems or a sentence).
    failed: dict[str, list[str]] = field(default_factory=dict)
    #: Module id -> studio revision numbers an import would have overwritten.
    refused: dict[str, list[int]] = field(default_factory=dict)
    #: Every problem the checker found (errors and warnings), ``file:line``.
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every module was published or unchanged."""
        return not self.failed and not self.refused

    def lines(self) -> list[str]:
        """A human summary, one line per module that was not unchanged."""
        out = [f"published {mid} as revision {n}" for mid, n in self.published]
        for folder, reasons in self.failed.items():
            out.append(f"not published: {folder}: {reasons[0]}")
        for mid, numbers in self.refused.items():
            listed = ", ".join(str(n) for n in numbers)
            out.append(
                f"not published: {mid}: its published revision was made in the "
                f"studio after the last import (revision {listed}); export it "
                "first (content export DIR --module "
                f"{mid}) or import with --force to overwrite it"
            )
        return out


def _checked(draft: ModuleDraft, files: dict[str, bytes]) -> CheckedModule:
    meta = draft.module.meta if draft.module is not None else {}
    version = meta.get("version")
    return CheckedModule(
        module_id=draft.id,
        version=version if isinstance(version, str) else None,
        version_line=draft.module.line("version") if draft.module else 1,
        content_hash=store.files_hash(files),
        problems=tuple(draft.problems),
    )


def import_folder(
    directory: Path,
    *,
    force: bool = False,
    author: User | None = None,
    message: str = "",
) -> ImportReport:
    """Check ``directory`` and publish each changed module; see the module doc.

    Raises ``FileNotFoundError`` when ``directory`` is not a folder.
    """
    directory = Path(directory)
    problems, drafts = check_drafts(directory)
    single = (directory / "module.md").is_file()
    report = ImportReport(problems=problems)
    current = store.published()
    for draft in drafts:
        files = {name: p.read_bytes() for name, p in list_files(draft.path).items()}
        checked = _checked(draft, files)
        if single and draft.id is not None:
            # One module folder: check it beside the published modules (its
            # prerequisites are there, not in this folder).
            checked = check_files(files, folder=draft.name, module_id=draft.id)
            prefix = draft.display + "/"
            problems = tuple(replace(p, path=prefix + p.path) for p in checked.problems)
            report.problems = problems
            checked = replace(checked, problems=problems)
        errors = [str(p) for p in checked.errors]
        if errors or draft.id is None:
            report.failed[draft.display] = errors or ["module.md declares no id"]
            continue
        existing = current.get(draft.id)
        if (
            existing is not None
            and existing.content_hash == store.files_hash(files)
            and existing.folder == draft.name
        ):
            report.unchanged.append(draft.id)
            continue
        studio = [] if force else store.studio_since_import(draft.id)
        if studio:
            report.refused[draft.id] = [r.number for r in studio]
            continue
        try:
            result = publish_revision(
                draft.id,
                files,
                author=author,
                message=message or f"Imported from {Path(directory).name}/",
                source=SOURCE_IMPORT,
                folder=draft.name,
                checked=checked,
            )
        except PublishError as error:
            report.failed[draft.display] = error.lines()
            continue
        report.published.append((draft.id, result.revision.number))
    return report


def export_modules(
    directory: Path, *, module_id: str | None = None, number: int | None = None
) -> list[str]:
    """Write published revisions (or revision ``number`` of ``module_id``) as
    files under ``directory/<folder>/``; return the folders written.

    Each folder written is made to match its revision exactly: files that are
    not in the revision are deleted, and identical files are left untouched (so
    their modification times, and a file watcher, stay quiet). Raises
    :class:`PublishError` for an unknown module or revision.
    """
    if number is not None and module_id is None:
        raise PublishError("--revision needs --module: name the module it belongs to")
    if module_id is None:
        revisions = list(store.published().values())
    else:
        found = (
            store.current_revision(module_id)
            if number is None
            else store.get_revision(module_id, number)
        )
        if found is None:
            which = (
                "is not published" if number is None else f"has no revision {number}"
            )
            raise PublishError(
                f"module {module_id} {which}; see `flask --app kaptrain content "
                f"history {module_id}`"
            )
        revisions = [found]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for revision in sorted(revisions, key=lambda r: r.folder):
        _write_folder(directory / revision.folder, store.read_files(revision))
        written.append(revision.folder)
    return written


def _write_folder(target: Path, files: dict[str, bytes]) -> None:
    for name, path in list_files(target).items() if target.is_dir() else ():
        if name not in files:
            path.unlink()
    for name, data in files.items():
        path = target / name
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for folder in sorted(target.rglob("*"), reverse=True):
        if (
            folder.is_dir()
            and not folder.name.startswith(".")
            and not any(folder.iterdir())
        ):
            folder.rmdir()


def import_on_first_run() -> list[str]:
    """``flask demo`` / ``make run``: publish KAPTRAIN_MODULES_DIR when the site
    serves published content and nothing is published yet. Returns what to say.
    """
    from flask import current_app

    if current_app.config.get("CONTENT_SOURCE") != "database" or store.published():
        return []
    folder = Path(current_app.config["MODULES_DIR"])
    if not folder.is_dir():
        return [
            f"No modules published: {folder} (KAPTRAIN_MODULES_DIR) is not a folder."
        ]
    report = import_folder(folder, message="First import")
    return [
        f"Published the modules in {folder}: {len(report.published)} module(s).",
        *report.lines()[len(report.published) :],
    ]
