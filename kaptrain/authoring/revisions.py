"""Publishing: a module's files become a new revision that every host serves.

Stable API (the studio and the CLI build on it):

``publish_revision(module_id, files, *, author, message, source, folder=None)``
    Check ``files`` (``{path: bytes}``), refuse a module with errors, check the
    version order, store the revision, raise the content version, audit-log, and
    commit. Returns a :class:`Published`; raises :class:`PublishError` (with the
    problems, ``file:line``) when refused. Publishing files identical to the
    published revision creates nothing (``Published.created`` is False).
``history(module_id) -> list[RevisionInfo]``
    Every revision, newest first.
``rollback(module_id, number, user, message="")``
    Publish revision ``number``'s files again, as a new revision.
``revision_files(module_id, number=None) -> dict[path, bytes]``
    A revision's files (the published one when ``number`` is None).
``diff_files(old, new) -> list[FileDiff]``
    Per-file unified diff (``difflib``) between two ``{path: bytes}`` sets.

Version order: a studio publish must raise the module's ``version``; an import
may keep it (teams editing files in git often fix a typo without a new version;
learner records still tell the two apart by content hash) but never lower it.
A rollback publishes the old files as they were, version included.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from kaptrain.authoring import store
from kaptrain.authoring.checking import CheckedModule, check_files, folder_problem
from kaptrain.content.problems import Problem
from kaptrain.extensions import db
from kaptrain.models import ContentRevision, User
from kaptrain.models.content import (
    MESSAGE_MAX,
    SOURCE_IMPORT,
    SOURCE_ROLLBACK,
    SOURCE_STUDIO,
    SOURCES,
)
from kaptrain.people import audit
from kaptrain.platform.database import begin_write


class PublishError(Exception):
    """A publish was refused. ``message`` says why and what to do;
    ``problems`` are the checker's errors (paths relative to the module)."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems

    def lines(self) -> list[str]:
        """The message, then one ``file:line: error CODE: text`` line per problem."""
        return [self.message, *(str(p) for p in self.problems)]


@dataclass(frozen=True)
class Published:
    """The outcome of a publish: the module's current revision, whether this
    call created it, and every problem the checker found (warnings included)."""

    revision: ContentRevision
    created: bool
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class RevisionInfo:
    """One line of a module's history."""

    module_id: str
    number: int
    created_at: dt.datetime
    author: str
    message: str
    source: str
    version: str
    content_hash: str
    parent_number: int | None
    restored_number: int | None
    published: bool


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10.0"`` -> ``(1, 10, 0)`` for comparing versions."""
    return tuple(int(part) for part in version.split("."))


def _check_version(
    checked: CheckedModule, current: ContentRevision | None, source: str
) -> None:
    if current is None or source == SOURCE_ROLLBACK or checked.version is None:
        return
    new, old = version_key(checked.version), version_key(current.version)
    if new > old or (new == old and source == SOURCE_IMPORT):
        return
    need = "higher than" if source == SOURCE_STUDIO else "at least"
    raise PublishError(
        f"module.md:{checked.version_line}: version {checked.version} must be "
        f"{need} the published {current.version} (revision {current.number}); "
        "raise version in module.md"
    )


def _refuse_errors(checked: CheckedModule, module_id: str) -> None:
    errors = checked.errors
    if errors:
        raise PublishError(
            f"module {module_id} was not published: {len(errors)} "
            f"error{'' if len(errors) == 1 else 's'} to fix first",
            errors,
        )
    if checked.module_id != module_id:
        raise PublishError(
            f'module.md:1: the files declare id "{checked.module_id}", not '
            f'"{module_id}"; a module keeps its id'
        )


def _check_input(files: Mapping[str, bytes], folder: str, message: str) -> None:
    problem = folder_problem(folder)
    if problem:
        raise PublishError(problem)
    bad = [why for why in map(store.check_path, files) if why]
    if bad:
        raise PublishError(bad[0])
    if len(message) > MESSAGE_MAX:
        raise PublishError(
            f"the message is {len(message)} characters; keep it to {MESSAGE_MAX}"
        )
    if not files:
        raise PublishError("a module needs at least its module.md")


def publish_revision(
    module_id: str,
    files: Mapping[str, bytes],
    *,
    author: User | None,
    message: str,
    source: str,
    folder: str | None = None,
    checked: CheckedModule | None = None,
) -> Published:
    """Check and publish ``files`` as the next revision of ``module_id``; commit.

    ``folder`` is the module's folder name (default: the published revision's,
    else the module id). ``checked`` lets a caller that already checked the
    files in a wider context (``content import`` checks the whole folder) skip
    the second check. Raises :class:`PublishError` and writes nothing when the
    files have errors, declare another id, lower the version, or use a folder
    another module has.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown revision source {source!r}")
    return _publish(
        module_id, dict(files), author, message, source, folder, checked, None
    )


def _publish(
    module_id: str,
    files: dict[str, bytes],
    author: User | None,
    message: str,
    source: str,
    folder: str | None,
    checked: CheckedModule | None,
    restored_number: int | None,
) -> Published:
    # The checker runs first, outside the lock; the rules that depend on what
    # is published now run again after bump_counter(), whose row lock makes
    # concurrent publishes take turns (SQLite: the BEGIN IMMEDIATE write lock).
    current = store.current_revision(module_id)
    folder = folder or (current.folder if current else module_id)
    _check_input(files, folder, message)
    checked = checked or check_files(files, folder=folder, module_id=module_id)
    _refuse_errors(checked, module_id)
    begin_write()
    try:
        store.bump_counter()
        current = store.current_revision(module_id)
        _check_folder(module_id, folder)
        if current is not None and (current.content_hash, current.folder) == (
            checked.content_hash,
            folder,
        ):
            db.session.rollback()  # nothing new: no revision, no new version
            return Published(current, False, checked.problems)
        _check_version(checked, current, source)
    except PublishError:
        db.session.rollback()
        raise
    revision = store.add_revision(
        module_id=module_id,
        folder=folder,
        files=files,
        source=source,
        version=checked.version or "",
        author_id=author.id if author else None,
        message=message.strip(),
        restored_number=restored_number,
    )
    audit.record(
        "content_rolled_back" if source == SOURCE_ROLLBACK else "content_published",
        actor=author,
        subject_label=module_id,
        detail=f"revision {revision.number}, version {revision.version}, {source}",
    )
    db.session.commit()
    return Published(revision, True, checked.problems)


def _check_folder(module_id: str, folder: str) -> None:
    for other_id, rev in store.published().items():
        if other_id != module_id and rev.folder == folder:
            raise PublishError(
                f'the folder name "{folder}" is used by module {other_id}; '
                "choose another folder name"
            )


def rollback(
    module_id: str, number: int, user: User | None, message: str = ""
) -> Published:
    """Publish revision ``number``'s files again as a new revision; commit.

    The old files are checked against today's other modules first (a
    prerequisite may have gone since). Raises :class:`PublishError` when there
    is no such revision, it is what is published already, or it has errors now.
    """
    old = store.get_revision(module_id, number)
    if old is None:
        raise PublishError(
            f"module {module_id} has no revision {number}; list them with "
            f"`flask --app kaptrain content history {module_id}`"
        )
    current = store.current_revision(module_id)
    if current is not None and current.content_hash == old.content_hash:
        raise PublishError(
            f"revision {number} of {module_id} has the same files as the "
            f"published revision {current.number}; nothing to roll back"
        )
    files = store.read_files(old)
    text = message.strip() or f"Rollback to revision {number}"
    return _publish(
        module_id, files, user, text, SOURCE_ROLLBACK, old.folder, None, number
    )


def history(module_id: str) -> list[RevisionInfo]:
    """Every revision of ``module_id``, newest first (empty when unknown)."""
    revisions = store.list_revisions(module_id)
    names = store.author_names(revisions)
    numbers = {r.id: r.number for r in revisions}
    current = store.current_revision(module_id)
    return [
        RevisionInfo(
            module_id=r.module_id,
            number=r.number,
            created_at=r.created_at,
            author=(
                names.get(r.author_id, "a deleted account")
                if r.author_id is not None
                else "command line"
            ),
            message=r.message,
            source=r.source,
            version=r.version,
            content_hash=r.content_hash,
            parent_number=numbers.get(r.parent_id) if r.parent_id else None,
            restored_number=r.restored_number,
            published=current is not None and current.id == r.id,
        )
        for r in revisions
    ]


def revision_files(module_id: str, number: int | None = None) -> dict[str, bytes]:
    """The files of revision ``number`` (default: the published one).

    Raises :class:`PublishError` when the module or revision does not exist.
    """
    revision = (
        store.current_revision(module_id)
        if number is None
        else store.get_revision(module_id, number)
    )
    if revision is None:
        which = "no published revision" if number is None else f"no revision {number}"
        raise PublishError(f"module {module_id} has {which}")
    return store.read_files(revision)


@dataclass(frozen=True)
class FileDiff:
    """How one file differs: ``status`` is added, removed or changed;
    ``lines`` a unified diff (empty for binary files)."""

    path: str
    status: str
    binary: bool
    lines: tuple[str, ...]


def _text(data: bytes | None) -> list[str] | None:
    if data is None:
        return []
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def changed_files(
    old: Mapping[str, bytes], new: Mapping[str, bytes]
) -> Iterator[tuple[str, str, bytes | None, bytes | None]]:
    """Each path whose bytes differ between ``old`` and ``new``, in path order:
    ``(path, status, before, after)``, status ``added``, ``removed`` or
    ``changed`` and a missing side ``None``."""
    for path in sorted(set(old) | set(new)):
        before, after = old.get(path), new.get(path)
        if before == after:
            continue
        status = (
            "added" if before is None else "removed" if after is None else "changed"
        )
        yield path, status, before, after


def diff_files(
    old: Mapping[str, bytes], new: Mapping[str, bytes], context: int = 3
) -> list[FileDiff]:
    """The files that differ between ``old`` and ``new``, in path order."""
    diffs = []
    for path, status, before, after in changed_files(old, new):
        a, b = _text(before), _text(after)
        if a is None or b is None:
            diffs.append(FileDiff(path, status, True, ()))
            continue
        lines = difflib.unified_diff(
            a, b, f"a/{path}", f"b/{path}", n=context, lineterm="\n"
        )
        diffs.append(
            FileDiff(path, status, False, tuple(line.rstrip("\n") for line in lines))
        )
    return diffs
