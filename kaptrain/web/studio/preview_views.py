"""A draft previewed as a trainee will see it: lessons, the quiz with its answers
revealed, cases walked node by node, and the CE counts. Rendered by
kaptrain.content.preview (sanitised by nh3 like the catalog; the site's CSP
allows no inline script, so no author script can run)."""

from __future__ import annotations

import io
import mimetypes

from flask import abort, render_template, request, send_file
from flask.typing import ResponseReturnValue

from kaptrain.authoring.drafts import draft_files
from kaptrain.authoring.workspace import DraftCheck, ce_counts, preview
from kaptrain.content.preview import Preview
from kaptrain.models import AUTHOR, ContentDraft
from kaptrain.people.access import roles_required
from kaptrain.web.studio.common import check_of, draft_links, load_draft
from kaptrain.web.studio.views import bp

NOTE = "Draft preview: trainees see this once it is published, without the answers"
IMAGE_TYPES = {"png", "jpg", "jpeg", "gif", "webp"}


def draft_preview(draft: ContentDraft) -> Preview:
    """The draft rendered (cached until its files or the published set change)."""
    return preview(
        draft_files(draft),
        folder=draft.folder,
        links=draft_links(draft),
        extra_problems=check_of(draft).problems,
        cache_key=draft.id,
    )


@bp.get(
    "/drafts/<int:draft_id>/preview", endpoint="preview", defaults={"item_id": None}
)
@bp.get("/drafts/<int:draft_id>/preview/<item_id>", endpoint="preview")
@roles_required(AUTHOR)
def preview_page(draft_id: int, item_id: str | None) -> ResponseReturnValue:
    """The draft's module page, or one item of it."""
    draft = load_draft(draft_id)
    module = draft_preview(draft)
    if item_id is None:
        return render_template(
            "studio/preview.html",
            draft=draft,
            preview=module,
            counts=ce_counts(module),
            note=NOTE,
        )
    entry = module.item(item_id)
    if entry is None:
        abort(404)
    item = entry.item
    node = None
    if item is not None and item.kind == "vignette":
        wanted = request.args.get("node") or item.start  # type: ignore[attr-defined]
        node = item.nodes.get(wanted)  # type: ignore[attr-defined]
        if node is None:
            abort(404)
    return render_template(
        "studio/preview_item.html",
        draft=draft,
        preview=module,
        entry=entry,
        node=node,
        note=NOTE,
    )


@bp.get("/drafts/<int:draft_id>/media/<path:filename>", endpoint="media")
@roles_required(AUTHOR)
def media(draft_id: int, filename: str) -> ResponseReturnValue:
    """An image from the draft's media/ folder (images only, never HTML or SVG)."""
    draft = load_draft(draft_id)
    data = draft_files(draft).get(f"media/{filename}")
    suffix = filename.rsplit(".", 1)[-1].lower()
    if data is None or suffix not in IMAGE_TYPES:
        abort(404)
    kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = send_file(io.BytesIO(data), mimetype=kind, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def live_preview_html(
    draft: ContentDraft, files: dict[str, bytes], path: str, result: DraftCheck
) -> str:
    """The HTML of one file's preview, for studio.js (not cached: unsaved text)."""
    module = preview(
        files,
        folder=draft.folder,
        links=draft_links(draft),
        extra_problems=result.problems,
    )
    entry = next((i for i in module.items if i.file == path), None)
    return render_template(
        "studio/_live.html", draft=draft, preview=module, entry=entry, path=path
    )
