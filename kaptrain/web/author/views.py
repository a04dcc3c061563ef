"""Authors' views: content health and module previews (item analysis: analysis.py)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file
from flask.typing import ResponseReturnValue

from kaptrain.content.modules import list_files
from kaptrain.learning.course import content_state
from kaptrain.models import AUTHOR
from kaptrain.people.access import roles_required
from kaptrain.web.author.health import cached_preview, health_rows, module_folder

bp = Blueprint("author", __name__, url_prefix="/author")

PREVIEW_NOTE = "Author preview — trainees never see answers before submitting"


@bp.get("/", endpoint="health")
@roles_required(AUTHOR)
def health() -> ResponseReturnValue:
    """Every module with its status, problems and counts."""
    state = content_state()
    rows = health_rows(state)
    return render_template(
        "author/health.html",
        rows=rows,
        state=state,
        catalog=state.catalog,
        served=sum(1 for r in rows if r.served),
        left_out=sum(1 for r in rows if not r.served),
    )


@bp.get("/preview/<name>", endpoint="preview", defaults={"item_id": None})
@bp.get("/preview/<name>/<item_id>", endpoint="preview")
@roles_required(AUTHOR)
def preview(name: str, item_id: str | None) -> ResponseReturnValue:
    """A module (or one item) rendered as far as it can be, problems beside it."""
    state = content_state()
    folder = module_folder(state, name)
    if folder is None:
        abort(404)
    module = cached_preview(state, folder)
    if item_id is None:
        return render_template(
            "author/preview.html", preview=module, name=name, note=PREVIEW_NOTE
        )
    entry = module.item(item_id)
    if entry is None:
        abort(404)
    return render_template(
        "author/preview_item.html",
        preview=module,
        entry=entry,
        name=name,
        note=PREVIEW_NOTE,
    )


@bp.get("/preview/<name>/media/<path:filename>", endpoint="preview_media")
@roles_required(AUTHOR)
def preview_media(name: str, filename: str) -> ResponseReturnValue:
    """A file from a previewed module's media/ folder (only files it lists)."""
    folder = module_folder(content_state(), name)
    if folder is None:
        abort(404)
    path = list_files(folder / "media").get(filename)
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, max_age=0)
