"""Catalog, module page, item dispatch, module media and the progress dashboard.

Each item kind has its own small view module (lessons, quizzes, vignettes,
evaluation); the item URL dispatches to it by kind.
"""

from __future__ import annotations

from flask import abort, render_template, send_file
from flask_login import current_user

from ..access import roles_required
from ..catalog import current_catalog
from ..certificates import format_hours
from ..models import TRAINEE
from ..progress import (
    item_state,
    next_step,
    pretest_on_offer,
    remaining_requirements,
    total_ce_hours,
)
from . import bp
from .common import (
    item_or_404,
    missing_prerequisites,
    module_or_404,
    user_progress,
)
from .context import locked_redirect, module_context
from .fragments import fragment


@bp.get("/modules")
@roles_required(TRAINEE)
def catalog():  # type: ignore[no-untyped-def]
    """Every module in order, with the trainee's progress and any lock."""
    cat = current_catalog()
    user = current_user._get_current_object()  # one proxy lookup, not one per use
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
def module(module_id: str):  # type: ignore[no-untyped-def]
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
def media(module_id: str, name: str):  # type: ignore[no-untyped-def]
    """An image of the module (only files the catalog lists)."""
    path = module_or_404(module_id).media_file(name)
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, max_age=3600)


@bp.get("/modules/<module_id>/<item_id>")
@roles_required(TRAINEE)
def item(module_id: str, item_id: str):  # type: ignore[no-untyped-def]
    """A lesson, quiz, vignette or evaluation page, by the item's kind."""
    context = module_context(module_id)
    entry = item_or_404(context.module, item_id)
    if context.locked:
        return locked_redirect(context)
    pages = {
        "lesson": lesson_views.show,
        "quiz": quiz_views.show,
        "vignette": vignette_views.show,
        "evaluation": evaluation_views.show,
    }
    return pages[entry.kind](context, entry)


@bp.get("/progress")
@roles_required(TRAINEE)
def progress():  # type: ignore[no-untyped-def]
    """The trainee's dashboard: each module's state, CE hours and certificates."""
    cat = current_catalog()
    user = current_user._get_current_object()  # one proxy lookup, not one per use
    everything = user_progress(user)
    rows = [(m, everything[(user.id, m.id)]) for m in cat.modules]
    return render_template(
        "learn/progress.html",
        rows=rows,
        total_hours=total_ce_hours(p for _m, p in rows),
        completed=sum(1 for _m, p in rows if p.completed),
        hours=format_hours,
    )


# Imported last: they register their routes on ``bp`` and use the helpers above.
from . import (  # noqa: E402
    certificate_views,  # noqa: F401
    evaluation_views,
    journal_views,  # noqa: F401
    lesson_views,
    quiz_views,
    vignette_views,
)
