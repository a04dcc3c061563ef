"""Per-request context for module and item views: the module, the signed-in
trainee's progress, and whether prerequisites lock it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from kaptrain.content import Module
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import ModuleProgress
from kaptrain.web.learn.common import (
    missing_prerequisites,
    module_or_404,
    user_progress,
)


@dataclass(frozen=True)
class ModuleContext:
    """A module as the current trainee sees it."""

    module: Module
    progress: ModuleProgress
    missing: list[Module]

    @property
    def locked(self) -> bool:
        return bool(self.missing)


def module_context(module_id: str) -> ModuleContext:
    """The module (404 if unknown) with the trainee's progress and locks."""
    module = module_or_404(module_id)
    user = current_user
    progress = user_progress(user)
    missing = missing_prerequisites(module, progress, user.id, current_catalog())
    return ModuleContext(module, progress[(user.id, module.id)], missing)


def locked_redirect(context: ModuleContext) -> Response:
    """Send the trainee to the module page, saying what unlocks it."""
    names = ", ".join(f"“{m.title}”" for m in context.missing)
    flash(f"This module opens when you complete {names}.", "warning")
    return redirect(url_for("learn.module", module_id=context.module.id))
