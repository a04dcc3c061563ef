"""Catalog, module page, module media and the progress dashboard.

The item pages and their actions come from the item kinds
(``kaptrain/kinds/<kind>/views.py``): :func:`kaptrain.kinds.page.register_kinds`
adds them to this blueprint, the item URL answering with the page of the item's
kind.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kaptrain.kinds.page import register_kinds
from kaptrain.learning.certificates import format_hours
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import (
    item_state,
    next_step,
    pretest_on_offer,
    remaining_requirements,
    total_ce_hours,
)
from kaptrain.models import TRAINEE
from kaptrain.people.access import roles_required
from kaptrain.web.learn.common import (
    missing_prerequisites,
    module_or_404,
    user_progress,
)
from kaptrain.web.learn.context import module_context
from kaptrain.web.learn.fragments import fragment

bp = Blueprint("learn", __name__)
register_kinds(bp)


@bp.get("/modules")
@roles_required(TRAINEE)
def catalog() -> ResponseReturnValue:
    """Every module in order, with the trainee's progress and any lock."""
    cat = current_catalog()
    user = current_user
    progress = user_progress(user)
    rows = [
        {
            "module": module,
            "progress": progress[(user.id, module.id)],
            "missing": missing_prerequisites(module, progress, user.id, cat),
        }
        for module in cat.modules
    ]
    return render_template(
        "learn/catalog.html",
        rows=rows,
        titles={m.id: m.title for m in cat.modules},
        hours=format_hours,
    )


@bp.get("/modules/<module_id>")
@roles_required(TRAINEE)
def module(module_id: str) -> ResponseReturnValue:
    """A module's overview, objectives, learning path and references."""
    context = module_context(module_id)
    mod, progress = context.module, context.progress
    path = [(item, item_state(item, progress)) for item in mod.items]
    version = current_catalog().version
    return render_template(
        "learn/module.html",
        ctx=context,
        module=mod,
        about=fragment(
            ("module-about", version, mod.id),
            lambda: render_template("learn/_module_about.html", module=mod),
        ),
        references=fragment(
            ("module-references", version, mod.id),
            lambda: render_template("learn/_module_references.html", module=mod),
        ),
        progress=progress,
        path=path,
        next_item=None if context.locked else next_step(mod, progress),
        pretest_offered=pretest_on_offer(mod, progress),
        remaining=remaining_requirements(mod, progress),
        hours=format_hours,
    )


@bp.get("/modules/<module_id>/media/<path:name>")
@roles_required(TRAINEE)
def media(module_id: str, name: str) -> ResponseReturnValue:
    """An image of the module (only files the catalog lists)."""
    path = module_or_404(module_id).media_file(name)
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, max_age=3600)


@bp.get("/progress")
@roles_required(TRAINEE)
def progress() -> ResponseReturnValue:
    """The trainee's dashboard: each module's state, CE hours and certificates."""
    cat = current_catalog()
    user = current_user
    everything = user_progress(user)
    rows = [(m, everything[(user.id, m.id)]) for m in cat.modules]
    return render_template(
        "learn/progress.html",
        rows=rows,
        total_hours=total_ce_hours(p for _m, p in rows),
        completed=sum(1 for _m, p in rows if p.completed),
        hours=format_hours,
    )
