"""Lookups every learn view shares: modules and items by id, prerequisite locks
and the trainee's progress."""

from __future__ import annotations

from typing import Any

from flask import abort

from kaptrain.content import Catalog, Module
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import ModuleProgress
from kaptrain.learning.progress_cache import cached_progress
from kaptrain.models import User
from kaptrain.people.accounts import SessionUser


def module_or_404(module_id: str) -> Module:
    """The catalog module with this id, or a 404."""
    module = current_catalog().get(module_id)
    if module is None:
        abort(404)
    return module


def item_or_404(module: Module, item_id: str, kind: str | None = None) -> Any:
    """The item of ``module`` with this id (and kind, when given), or a 404."""
    item = module.item(item_id)
    if item is None or (kind is not None and item.kind != kind):
        abort(404)
    return item


def missing_prerequisites(
    module: Module,
    progress: dict[tuple[int, str], ModuleProgress],
    user_id: int,
    catalog: Catalog,
) -> list[Module]:
    """Prerequisite modules not yet completed (unknown ids are ignored, since a
    module left out of the catalog could never be completed)."""
    missing = []
    for prerequisite_id in module.prerequisites:
        prerequisite = catalog.get(prerequisite_id)
        if prerequisite is None:
            continue
        state = progress.get((user_id, prerequisite_id))
        if state is None or not state.completed:
            missing.append(prerequisite)
    return missing


def user_progress(user: User | SessionUser) -> dict[tuple[int, str], ModuleProgress]:
    """This user's progress on every module of the current catalog (kept by the
    worker until the user's records change; see kaptrain.learning.progress_cache)."""
    return cached_progress(user, current_catalog())
