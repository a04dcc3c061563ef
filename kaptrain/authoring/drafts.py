"""Drafts: an author's private working copy of one module's files.

A draft starts from the module's published revision (``start_draft``) or from
the template in ``kaptrain/authoring/template/`` (``new_module_draft``). Only
its owner edits it; saving never refuses text because of checker problems (the
checker's findings are shown beside the lines), so nothing typed is lost.

Every change raises ``lock_version`` with a compare-and-set update: a form
carries the version it was rendered with, and a save from a stale form (another
tab, a double submission after a rename) is refused with
:class:`StaleForm` instead of overwriting newer text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select, update

from kaptrain.authoring import store
from kaptrain.authoring.checking import folder_problem
from kaptrain.extensions import db
from kaptrain.models import ContentDraft, ContentDraftFile, User
from kaptrain.models.studio import (
    APPROVED,
    DRAFT,
    IN_REVIEW,
    OPEN_STATES,
    PUBLISHED,
)
from kaptrain.platform.database import begin_write

TEMPLATE_DIR = Path(__file__).parent / "template"
_MODULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
#: Files a draft may hold besides images: what the checker reads.
TEXT_SUFFIXES = (".md", ".yaml", ".yml")


class StudioError(Exception):
    """A studio action was refused; ``message`` says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleForm(StudioError):
    """The draft changed since the form was rendered."""


def get_draft(draft_id: int) -> ContentDraft | None:
    """The draft with this id, or None."""
    return db.session.get(ContentDraft, draft_id)


def open_drafts(module_id: str | None = None) -> list[ContentDraft]:
    """Drafts not yet published (of one module, or all), oldest first."""
    query = select(ContentDraft).where(ContentDraft.state.in_(OPEN_STATES))
    if module_id is not None:
        query = query.where(ContentDraft.module_id == module_id)
    return list(db.session.scalars(query.order_by(ContentDraft.id)))


def draft_files(draft: ContentDraft) -> dict[str, bytes]:
    """The draft's files, ``{path: bytes}``."""
    return {f.path: f.data for f in draft.files}


def may_edit(user: User, draft: ContentDraft) -> bool:
    """Only the owner edits a draft, and only until it is published."""
    return draft.owner_id == user.id and draft.state != PUBLISHED


def _new(module_id: str, folder: str, owner: User, base: int | None) -> ContentDraft:
    draft = ContentDraft(
        module_id=module_id,
        folder=folder,
        owner_id=owner.id,
        state=DRAFT,
        base_number=base,
        message="",
        conflicts="",
        lock_version=1,
    )
    db.session.add(draft)
    return draft


def _own_open_draft(module_id: str, owner: User) -> ContentDraft | None:
    return next((d for d in open_drafts(module_id) if d.owner_id == owner.id), None)


def start_draft(module_id: str, owner: User) -> ContentDraft:
    """A new draft holding the module's published files; commits.

    An author has one open draft per module: asking again (a double click, a
    second tab) returns the draft they have.
    """
    begin_write()
    mine = _own_open_draft(module_id, owner)
    if mine is not None:
        db.session.rollback()
        return mine
    revision = store.current_revision(module_id)
    if revision is None:
        raise StudioError(f"module {module_id} is not published; nothing to edit")
    draft = _new(module_id, revision.folder, owner, revision.number)
    for path, data in store.read_files(revision).items():
        draft.files.append(ContentDraftFile(path=path, data=data, alt=""))
    db.session.commit()
    return draft


def _next_order() -> int:
    orders = [0]
    for revision in store.published().values():
        head = store.read_file(revision, "module.md") or b""
        match = re.search(rb"^order:\s*(\d+)\s*$", head, re.MULTILINE)
        if match:
            orders.append(int(match.group(1)))
    return max(orders) + 1


def _yaml_text(text: str) -> str:
    """``text`` made safe inside a double-quoted YAML string."""
    return text.replace("\\", "").replace('"', "'")


def template_files(
    module_id: str, title: str, order: int, planner: str = "Your name"
) -> dict[str, bytes]:
    """The new-module template with its id, title, order and first planner (the
    author who made it) filled in."""
    safe_title = _yaml_text(title)
    files = {}
    for path in sorted(TEMPLATE_DIR.iterdir()):
        text = path.read_text(encoding="utf-8")
        text = (
            text.replace("__MODULE_ID__", module_id)
            .replace("__TITLE__", safe_title)
            .replace("__ORDER__", str(order))
            .replace("__PLANNER__", _yaml_text(planner))
        )
        files[path.name] = text.encode("utf-8")
    return files


def new_module_problem(module_id: str, title: str) -> str | None:
    """Why a new module cannot have this id and title, or None."""
    if not _MODULE_ID.match(module_id):
        return (
            "Use 2 to 63 lower-case letters, digits and hyphens for the module id, "
            "starting with a letter or digit (for example: grief-and-loss)."
        )
    if not title.strip() or len(title) > 200:
        return "Give the module a title of 1 to 200 characters."
    if store.current_revision(module_id) is not None:
        return f"A module with the id {module_id} is published already; edit it."
    if any(d.module_id == module_id for d in open_drafts()):
        return f"A draft of a new module {module_id} exists already; open it."
    return folder_problem(module_id)


def new_module_draft(module_id: str, title: str, owner: User) -> ContentDraft:
    """A draft of a new module made from the template; commits (asking twice
    returns the draft made the first time)."""
    begin_write()
    mine = _own_open_draft(module_id, owner)
    if mine is not None and mine.base_number is None:
        db.session.rollback()
        return mine
    problem = new_module_problem(module_id, title)
    if problem:
        db.session.rollback()
        raise StudioError(problem)
    draft = _new(module_id, module_id, owner, None)
    files = template_files(module_id, title.strip(), _next_order(), owner.name)
    for path, data in files.items():
        draft.files.append(ContentDraftFile(path=path, data=data, alt=""))
    db.session.commit()
    return draft


def _claim(draft: ContentDraft, seen_version: int) -> None:
    """Raise lock_version if it is still ``seen_version`` (compare-and-set)."""
    result = db.session.execute(
        update(ContentDraft)
        .where(
            ContentDraft.id == draft.id,
            ContentDraft.lock_version == seen_version,
            ContentDraft.state != PUBLISHED,
        )
        .values(lock_version=ContentDraft.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise StaleForm(
            "This draft changed since this page was opened (another tab, or it "
            "was published). Your text is kept below: copy it, reload the draft "
            "and paste it in again."
        )
    db.session.refresh(draft)


def _after_edit(draft: ContentDraft) -> str | None:
    """An edit withdraws a review request or approval (the files changed)."""
    if draft.state in (IN_REVIEW, APPROVED):
        draft.state = DRAFT
        return (
            "The files changed, so the review request was withdrawn: submit the "
            "draft for review again when it is ready."
        )
    return None


def check_text_path(path: str) -> str | None:
    """Why ``path`` cannot name a text file of a draft, or None."""
    problem = store.check_path(path)
    if problem:
        return problem
    if not path.endswith(TEXT_SUFFIXES):
        return (
            f'"{path}": a module holds .md and .yaml files (and images, uploaded '
            "into media/); end the name with .md or .yaml"
        )
    return None


def _rename_problem(old: str, new: str) -> str | None:
    """Why ``old`` cannot be renamed to ``new`` (an image stays an image of the
    same type under media/; a text file stays a text file)."""
    if old.endswith(TEXT_SUFFIXES):
        return check_text_path(new)
    problem = store.check_path(new)
    if problem:
        return problem
    same_type = new.rsplit(".", 1)[-1].lower() == old.rsplit(".", 1)[-1].lower()
    if not new.startswith("media/") or not same_type:
        return f'"{new}": an image stays in media/ with the same file type as "{old}"'
    return None


def write_files(
    draft: ContentDraft,
    files: Mapping[str, bytes],
    seen_version: int,
    *,
    remove: tuple[str, ...] = (),
    alts: Mapping[str, str] | None = None,
) -> str | None:
    """Write (add or replace) ``files`` and remove ``remove``; commits.

    Returns a notice for the author when the edit withdrew a review request.
    Raises :class:`StaleForm` when the draft changed since ``seen_version``.
    """
    begin_write()
    draft = db.session.get(ContentDraft, draft.id)  # type: ignore[assignment]
    _claim(draft, seen_version)
    by_path = {f.path: f for f in draft.files}
    for path in remove:
        if path in by_path:
            draft.files.remove(by_path.pop(path))
    for path, data in files.items():
        alt = (alts or {}).get(path, "")
        if path in by_path:
            by_path[path].data = data
            by_path[path].alt = alt or by_path[path].alt
        else:
            draft.files.append(ContentDraftFile(path=path, data=data, alt=alt))
    notice = _after_edit(draft)
    db.session.commit()
    return notice


def save_text(
    draft: ContentDraft, path: str, text: str, seen_version: int
) -> str | None:
    """Save one text file of a draft (line endings normalised to ``\\n``)."""
    problem = check_text_path(path)
    if problem:
        raise StudioError(problem)
    data = text.replace("\r\n", "\n").encode("utf-8")
    current = draft_files(draft).get(path)
    if current == data:
        return None  # a double submission of the same text: nothing to do
    return write_files(draft, {path: data}, seen_version)


def add_file(draft: ContentDraft, path: str, seen_version: int) -> str | None:
    """Add an empty text file (refused when the path exists)."""
    problem = check_text_path(path)
    if problem:
        raise StudioError(problem)
    if path in draft_files(draft):
        raise StudioError(f'"{path}" exists already in this draft; choose another name')
    return write_files(draft, {path: b""}, seen_version)


def rename_file(
    draft: ContentDraft, old: str, new: str, seen_version: int
) -> str | None:
    """Rename (move) one file of a draft."""
    files = draft_files(draft)
    if old not in files:
        raise StudioError(f'"{old}" is not a file of this draft')
    problem = _rename_problem(old, new)
    if problem:
        raise StudioError(problem)
    if new in files:
        raise StudioError(f'"{new}" exists already in this draft; choose another name')
    alt = next((f.alt for f in draft.files if f.path == old), "")
    return write_files(
        draft, {new: files[old]}, seen_version, remove=(old,), alts={new: alt}
    )


def delete_file(draft: ContentDraft, path: str, seen_version: int) -> str | None:
    """Delete one file of a draft."""
    if path not in draft_files(draft):
        raise StudioError(f'"{path}" is not a file of this draft')
    return write_files(draft, {}, seen_version, remove=(path,))


def discard(draft: ContentDraft, user: User) -> None:
    """Delete a draft that is not published; commits."""
    begin_write()
    draft = db.session.get(ContentDraft, draft.id)  # type: ignore[assignment]
    if draft is None or draft.owner_id != user.id or draft.state == PUBLISHED:
        db.session.rollback()
        raise StudioError("Only the owner can discard a draft that is not published.")
    db.session.delete(draft)
    db.session.commit()


def user_names(ids: set[int]) -> dict[int, str]:
    """``{user id: name}`` for ``ids`` (one query)."""
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return {row.id: row.name for row in rows}
