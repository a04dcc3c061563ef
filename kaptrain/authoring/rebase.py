"""Stale drafts: publishing one draft moves the module on under the others.

A draft is *stale* when the module's published revision is no longer the one
it started from. :func:`staleness` says what changed underneath (a diff per
file from the draft's base to the published revision). :func:`rebase` moves the
draft onto the published revision:

* a file the author did not touch takes the published version (added, changed
  or removed);
* a file only the author changed keeps the author's text;
* a file both changed keeps the author's text and is listed in the draft's
  ``conflicts``: the editor shows both versions side by side until the author
  keeps theirs or takes the published one (:func:`settle`).

Nothing the author typed is ever dropped by a rebase.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaptrain.authoring import store
from kaptrain.authoring.drafts import StudioError, draft_files, write_files
from kaptrain.authoring.reviews import FileChange, changes
from kaptrain.extensions import db
from kaptrain.models import ContentDraft
from kaptrain.models.studio import PUBLISHED
from kaptrain.platform.database import begin_write


@dataclass(frozen=True)
class Staleness:
    """What was published since the draft started."""

    base_number: int | None
    current_number: int
    underneath: tuple[FileChange, ...]


@dataclass(frozen=True)
class RebaseOutcome:
    """Which files a rebase took, kept, or left to settle."""

    taken: tuple[str, ...]
    kept: tuple[str, ...]
    conflicts: tuple[str, ...]


def _base_files(draft: ContentDraft) -> dict[str, bytes]:
    if draft.base_number is None:
        return {}
    revision = store.get_revision(draft.module_id, draft.base_number)
    return store.read_files(revision) if revision is not None else {}


def staleness(draft: ContentDraft) -> Staleness | None:
    """What changed underneath a draft, or None when it is up to date."""
    if draft.state == PUBLISHED:
        return None
    current = store.current_revision(draft.module_id)
    if current is None or current.number == draft.base_number:
        return None
    underneath = changes(_base_files(draft), store.read_files(current))
    return Staleness(draft.base_number, current.number, tuple(underneath))


def rebase(draft: ContentDraft, seen_version: int) -> RebaseOutcome:
    """Move the draft onto the published revision; commits."""
    current = store.current_revision(draft.module_id)
    if current is None or current.number == draft.base_number:
        raise StudioError("This draft is up to date; there is nothing to rebase.")
    base, new, mine = _base_files(draft), store.read_files(current), draft_files(draft)
    take: dict[str, bytes] = {}
    remove: list[str] = []
    kept: list[str] = []
    conflicts: list[str] = []
    for path in sorted(set(base) | set(new) | set(mine)):
        b, n, m = base.get(path), new.get(path), mine.get(path)
        if m == b:
            if n is None and m is not None:
                remove.append(path)
            elif n is not None and n != m:
                take[path] = n
        elif n != b and n != m:
            conflicts.append(path)
        elif m is not None and m != n:
            kept.append(path)
    write_files(draft, take, seen_version, remove=tuple(remove))
    begin_write()
    draft = db.session.get(ContentDraft, draft.id)  # type: ignore[assignment]
    old = draft.conflict_paths
    draft.base_number = current.number
    draft.conflicts = "\n".join(sorted(set(old) | set(conflicts)))
    draft.lock_version += 1
    db.session.commit()
    return RebaseOutcome(tuple(sorted([*take, *remove])), tuple(kept), tuple(conflicts))


def settle(draft: ContentDraft, path: str, keep: str, seen_version: int) -> None:
    """Settle one conflict: ``keep="mine"`` or ``"published"``; commits."""
    if path not in draft.conflict_paths:
        raise StudioError(f'"{path}" has nothing to settle.')
    if keep not in ("mine", "published"):
        raise StudioError("Choose to keep your version or take the published one.")
    if keep == "published":
        published = store.current_revision(draft.module_id)
        files = store.read_files(published) if published is not None else {}
        if path in files:
            write_files(draft, {path: files[path]}, seen_version)
        else:
            write_files(draft, {}, seen_version, remove=(path,))
        seen_version += 1
    begin_write()
    draft = db.session.get(ContentDraft, draft.id)  # type: ignore[assignment]
    if draft.lock_version != seen_version:
        db.session.rollback()
        raise StudioError("The draft changed in the meantime; reload the page.")
    draft.conflicts = "\n".join(p for p in draft.conflict_paths if p != path)
    draft.lock_version += 1
    db.session.commit()


def conflict_views(draft: ContentDraft) -> list[tuple[str, FileChange | None]]:
    """For each unsettled file: the diff from the published version to the
    author's (None when they are now the same)."""
    current = store.current_revision(draft.module_id)
    published = store.read_files(current) if current is not None else {}
    mine = draft_files(draft)
    views = []
    for path in draft.conflict_paths:
        old = {path: published[path]} if path in published else {}
        new = {path: mine[path]} if path in mine else {}
        found = changes(old, new, context=1_000_000)
        views.append((path, found[0] if found else None))
    return views
