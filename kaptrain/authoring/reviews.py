"""Review before publish: submit a draft, review it (side-by-side diff per file
against the published revision, line notes or one overall comment), approve or
request changes, then publish.

The two-person rule: the owner of a draft cannot approve it, and with
``KAPTRAIN_REVIEW_REQUIRED`` on (the production default) a draft is published
only once another author or an admin approved the files as they are now. With
it off (the development default) the owner may publish without a review. A
draft with checker errors can never be submitted or published.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update

from kaptrain.authoring import store
from kaptrain.authoring.drafts import StudioError, draft_files
from kaptrain.authoring.revisions import (
    Published,
    PublishError,
    changed_files,
    publish_revision,
    version_key,
)
from kaptrain.authoring.workspace import as_text, check_draft
from kaptrain.extensions import db
from kaptrain.models import ContentDraft, ContentReview, ContentReviewNote, User
from kaptrain.models.content import MESSAGE_MAX, SOURCE_STUDIO
from kaptrain.models.studio import (
    APPROVE,
    APPROVED,
    CHANGES_REQUESTED,
    DECISIONS,
    DRAFT,
    IN_REVIEW,
    NOTE_MAX,
    PUBLISHED,
    REQUEST_CHANGES,
)
from kaptrain.platform.database import begin_write

_VERSION = re.compile(r"^(version:[ \t]*)(\S.*?)[ \t]*$", re.MULTILINE)
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: old line number and text, new line number
    and text, and how they differ (equal, replace, delete, insert)."""

    tag: str
    old_no: int | None
    old: str
    new_no: int | None
    new: str


@dataclass(frozen=True)
class FileChange:
    """One file that differs from the published revision."""

    path: str
    status: str
    binary: bool
    rows: tuple[DiffRow, ...]


def _rows(a: list[str], b: list[str], context: int) -> tuple[DiffRow, ...]:
    """Side-by-side rows from difflib's opcodes (changes with some context)."""
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if rows:
            rows.append(DiffRow("skip", None, "", None, ""))
        for tag, i1, i2, j1, j2 in group:
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                has_old, has_new = i < i2, j < j2
                rows.append(
                    DiffRow(
                        tag
                        if (has_old and has_new) or tag == "equal"
                        else ("delete" if has_old else "insert"),
                        i + 1 if has_old else None,
                        a[i] if has_old else "",
                        j + 1 if has_new else None,
                        b[j] if has_new else "",
                    )
                )
    return tuple(rows)


def changes(
    old: Mapping[str, bytes], new: Mapping[str, bytes], context: int = 3
) -> list[FileChange]:
    """Every file that differs between ``old`` and ``new``, side by side."""
    found = []
    for path, status, before, after in changed_files(old, new):
        a = as_text(before) if before is not None else ""
        b = as_text(after) if after is not None else ""
        if a is None or b is None:
            found.append(FileChange(path, status, True, ()))
            continue
        rows = _rows(a.splitlines(), b.splitlines(), context)
        found.append(FileChange(path, status, False, rows))
    return found


def published_files(draft: ContentDraft) -> dict[str, bytes]:
    """The module's files as published now (empty for a new module)."""
    revision = store.current_revision(draft.module_id)
    return store.read_files(revision) if revision is not None else {}


def review_required(config: Mapping[str, object]) -> bool:
    """Whether the two-person rule is on (``KAPTRAIN_REVIEW_REQUIRED``)."""
    return bool(config.get("REVIEW_REQUIRED", True))


def _errors_block(draft: ContentDraft, action: str) -> None:
    result = check_draft(
        draft_files(draft), folder=draft.folder, module_id=draft.module_id
    )
    if result.errors:
        count = len(result.errors)
        raise StudioError(
            f"This draft has {count} error{'' if count == 1 else 's'} to fix before "
            f"it can be {action}; each is shown beside its line in the editor."
        )
    if draft.conflict_paths:
        raise StudioError(
            "Settle the files changed both here and in the published module "
            f"({', '.join(draft.conflict_paths)}) before the draft can be {action}."
        )


def _transition(
    draft: ContentDraft, allowed: tuple[str, ...], **values: object
) -> None:
    """Move a draft on only from ``allowed`` states (double submissions are no-ops
    or refusals, never a second transition)."""
    result = db.session.execute(
        update(ContentDraft)
        .where(ContentDraft.id == draft.id, ContentDraft.state.in_(allowed))
        .values(lock_version=ContentDraft.lock_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise StudioError(
            "The draft's state changed in the meantime; reload the page to see it."
        )


def submit(draft: ContentDraft, user: User, message: str) -> None:
    """Ask for a review, with a message saying what changed and why; commits."""
    begin_write()
    message = message.strip()
    if draft.owner_id != user.id:
        raise StudioError("Only the draft's owner can submit it for review.")
    if not message or len(message) > MESSAGE_MAX:
        raise StudioError(
            f"Say what changed and why in 1 to {MESSAGE_MAX} characters: the "
            "reviewer reads it, and it becomes the revision's message."
        )
    if draft.state == IN_REVIEW and draft.message == message:
        db.session.rollback()
        return  # the same request sent twice (a double click): nothing more to do
    _errors_block(draft, "submitted")
    _transition(draft, (DRAFT, CHANGES_REQUESTED), state=IN_REVIEW, message=message)
    db.session.commit()


def _repeated(
    draft: ContentDraft, reviewer: User, decision: str, body: str
) -> ContentReview | None:
    """The last review, when it is this one again on the same files."""
    last = reviews_of(draft)[-1:]
    if last and (
        (last[0].reviewer_id, last[0].decision, last[0].body)
        == (reviewer.id, decision, body)
        and last[0].draft_version == draft.lock_version
    ):
        return last[0]
    return None


def review(
    draft: ContentDraft,
    reviewer: User,
    decision: str,
    body: str,
    notes: list[tuple[str, int, str]],
) -> ContentReview:
    """Record a review (overall comment and line notes); commits.

    ``approve`` and ``request_changes`` need the draft to be in review; the
    owner can comment on their own draft but never approve it.
    """
    begin_write()
    if decision not in DECISIONS:
        raise StudioError("Choose approve, request changes or comment.")
    body = body.strip()
    if len(body) > NOTE_MAX or any(len(n[2]) > NOTE_MAX for n in notes):
        raise StudioError(f"Keep each comment to {NOTE_MAX} characters.")
    if decision != APPROVE and not body and not notes:
        raise StudioError("Write a comment (overall or on a line) to send.")
    repeated = _repeated(draft, reviewer, decision, body)
    if repeated is not None:
        db.session.rollback()
        return repeated  # the same review sent twice (a double click)
    seen = draft.lock_version
    if decision in (APPROVE, REQUEST_CHANGES):
        if draft.owner_id == reviewer.id:
            raise StudioError(
                "You cannot approve or reject your own draft: another author or "
                "an admin reviews it (two-person rule)."
            )
        if decision == APPROVE:
            _errors_block(draft, "approved")
        state = APPROVED if decision == APPROVE else CHANGES_REQUESTED
        _transition(draft, (IN_REVIEW,), state=state)
        seen += 1  # the transition raised the draft's lock version
    entry = ContentReview(
        draft_id=draft.id,
        reviewer_id=reviewer.id,
        decision=decision,
        body=body,
        draft_version=seen,
    )
    entry.notes = [
        ContentReviewNote(path=p, line=line, body=text.strip())
        for p, line, text in notes
        if text.strip()
    ]
    db.session.add(entry)
    db.session.commit()
    return entry


def reviews_of(draft: ContentDraft) -> list[ContentReview]:
    """The draft's reviews, oldest first."""
    return list(
        db.session.scalars(
            select(ContentReview)
            .where(ContentReview.draft_id == draft.id)
            .order_by(ContentReview.id)
        )
    )


def proposed_versions(draft: ContentDraft) -> dict[str, str]:
    """The next patch and minor versions after the published one, and the
    version to offer: the draft's own when the author already raised it."""
    revision = store.current_revision(draft.module_id)
    base = revision.version if revision is not None else "0.0.0"
    try:
        major, minor, patch = (list(version_key(base)) + [0, 0, 0])[:3]
    except ValueError:
        major, minor, patch = 0, 0, 0
    versions = {
        "patch": f"{major}.{minor}.{patch + 1}",
        "minor": f"{major}.{minor + 1}.0",
    }
    head = draft_files(draft).get("module.md", b"").decode("utf-8", "replace")
    found = _VERSION.search(head.partition("\n---")[0])
    own = found.group(2).strip("\"' ") if found else ""
    raised = _SEMVER.match(own) is not None and (
        revision is None or version_key(own) > version_key(base)
    )
    versions["offer"] = own if raised else versions["patch"]
    return versions


def set_version(files: dict[str, bytes], version: str) -> dict[str, bytes]:
    """``files`` with ``version:`` in module.md's front matter set to ``version``."""
    if not _SEMVER.match(version):
        raise StudioError(
            f'"{version}" is not a version like 1.2.3 (three whole numbers).'
        )
    text = files.get("module.md", b"").decode("utf-8", "replace")
    head, sep, rest = text.partition("\n---")
    if not _VERSION.search(head):
        raise StudioError("module.md has no version: line to raise; add one.")
    head = _VERSION.sub(lambda m: f"{m.group(1)}{version}", head, count=1)
    return {**files, "module.md": (head + sep + rest).encode("utf-8")}


def may_publish(draft: ContentDraft, user: User, required: bool) -> str | None:
    """Why ``user`` cannot publish ``draft`` now, or None."""
    if draft.state == PUBLISHED:
        return "This draft is published already."
    if not required:
        return (
            None
            if draft.owner_id == user.id or draft.state == APPROVED
            else ("Only the owner publishes a draft nobody approved.")
        )
    if draft.state != APPROVED:
        return (
            "Another author or an admin must approve this draft before it is "
            "published (two-person rule): submit it for review."
        )
    return None


def publish(
    draft: ContentDraft, user: User, version: str, *, required: bool
) -> Published:
    """Publish the draft as the module's next revision (its version raised to
    ``version``); commits. Raises StudioError or PublishError."""
    why = may_publish(draft, user, required)
    if why:
        raise StudioError(why)
    _errors_block(draft, "published")
    files = set_version(draft_files(draft), version)
    message = draft.message or f"Published from the studio by {user.name}"
    try:
        outcome = publish_revision(
            draft.module_id,
            files,
            author=user,
            message=message,
            source=SOURCE_STUDIO,
            folder=draft.folder,
        )
    except PublishError:
        db.session.rollback()
        raise
    begin_write()
    allowed = (
        (APPROVED,) if required else (DRAFT, CHANGES_REQUESTED, IN_REVIEW, APPROVED)
    )
    head = next((f for f in draft.files if f.path == "module.md"), None)
    if head is not None:
        head.data = files["module.md"]  # the draft keeps the version it published
    _transition(
        draft,
        allowed,
        state=PUBLISHED,
        published_number=outcome.revision.number,
        base_number=outcome.revision.number,
    )
    db.session.commit()
    return outcome


__all__ = [
    "DRAFT",
    "DiffRow",
    "FileChange",
    "changes",
    "may_publish",
    "proposed_versions",
    "publish",
    "published_files",
    "review",
    "review_required",
    "reviews_of",
    "set_version",
    "submit",
]
