"""Helpers the studio's views share: loading a draft the viewer may see, the
checker's findings on it, links for its preview, and the upload limits."""

from __future__ import annotations

from flask import abort, current_app, url_for

from kaptrain.authoring.drafts import draft_files, get_draft, may_edit
from kaptrain.authoring.uploads import Limits
from kaptrain.authoring.workspace import DraftCheck, check_draft
from kaptrain.content.render import Links
from kaptrain.models import ContentDraft
from kaptrain.people.accounts import current_account
from kaptrain.platform.database import parse_id

STATE_WORDS = {
    "draft": "Draft",
    "in_review": "In review",
    "changes_requested": "Changes requested",
    "approved": "Approved",
    "published": "Published",
}
STATE_BADGES = {
    "draft": "badge-todo",
    "in_review": "badge-progress",
    "changes_requested": "badge-fail",
    "approved": "badge-done",
    "published": "badge-done",
}


def load_draft(draft_id: int) -> ContentDraft:
    """The draft (any author or admin may read it), or 404."""
    draft = get_draft(draft_id) if parse_id(str(draft_id)) else None
    if draft is None:
        abort(404)
    return draft


def own_draft(draft_id: int) -> ContentDraft:
    """The draft, when the viewer may edit it (its owner), else 403."""
    draft = load_draft(draft_id)
    if not may_edit(current_account(), draft):
        abort(403)
    return draft


def check_of(draft: ContentDraft) -> DraftCheck:
    """The checker's findings on the draft's files (cached by their hash)."""
    return check_draft(
        draft_files(draft), folder=draft.folder, module_id=draft.module_id
    )


def draft_links(draft: ContentDraft) -> Links:
    """Links in a draft's preview: its media and its items, inside the studio."""
    return Links(
        media=lambda _module_id, path: url_for(
            "studio.media", draft_id=draft.id, filename=path.removeprefix("media/")
        ),
        item=lambda _module_id, item_id: url_for(
            "studio.preview", draft_id=draft.id, item_id=item_id
        ),
    )


def limits() -> Limits:
    """The upload limits in force."""
    return Limits.from_config(current_app.config)


def seen_version(value: str | None) -> int:
    """The lock version a form was rendered with (0 when missing: always stale)."""
    return parse_id(value or "") or 0
