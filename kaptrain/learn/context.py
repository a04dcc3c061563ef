"""Per-request context for module and item views: the module, the signed-in
trainee's progress, and whether prerequisites lock it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts import current_account
from ..catalog import current_catalog
from ..content import Module
from ..models import User
from ..progress import ModuleProgress
from .common import missing_prerequisites, module_or_404, user_progress


@dataclass(frozen=True)
class ModuleContext:
    """A module as the current trainee sees it."""

    module: Module
    progress: ModuleProgress
    missing: list[Module]

    @property
    def locked(self) -> bool:
        return bool(self.missing)


def me() -> User:
    """The signed-in user as a model object (not the proxy)."""
    return current_account()


def module_context(module_id: str) -> ModuleContext:
    """The module (404 if unknown) with the trainee's progress and locks."""
    module = module_or_404(module_id)
    user = current_user._get_current_object()  # one proxy lookup, not one per use
    progress = user_progress(user)
    missing = missing_prerequisites(module, progress, user.id, current_catalog())
    return ModuleContext(module, progress[(user.id, module.id)], missing)


def locked_redirect(context: ModuleContext) -> Response:
    """Send the trainee to the module page, saying what unlocks it."""
    names = ", ".join(f"“{m.title}”" for m in context.missing)
    flash(f"This module opens when you complete {names}.", "warning")
    return redirect(url_for("learn.module", module_id=context.module.id))
