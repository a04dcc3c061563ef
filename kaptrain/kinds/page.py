"""The item kinds' routes on the learn blueprint, and the one decorator every
kind view uses.

:func:`register_kinds` adds, for the kinds of the registry, the item page
(``GET /modules/<module_id>/<item_id>``, endpoint ``item``, which answers with
the page of the item's kind) and each kind's :class:`~kaptrain.kinds.base.Action`
routes. :func:`item_view` is the prologue of every such view: a trainee only;
the module and the item (of the kind) or a 404; while prerequisites lock the
module, a redirect to the module page saying what unlocks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from importlib import import_module
from types import ModuleType
from typing import Any

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from kaptrain.kinds.base import Kind
from kaptrain.kinds.registry import KINDS
from kaptrain.models import TRAINEE
from kaptrain.people.access import roles_required
from kaptrain.web.learn.common import item_or_404
from kaptrain.web.learn.context import locked_redirect, module_context

#: The URL every item route starts with.
ITEM_URL = "/modules/<module_id>/<item_id>"

KindView = Callable[..., ResponseReturnValue]


def item_view(kind: str | None) -> Callable[[KindView], KindView]:
    """Wrap ``view(context, item, **url_values)`` as a trainee route taking
    ``module_id`` and ``item_id``: 404 for an unknown module or item (or an item
    of another kind, unless ``kind`` is None), the locked-module redirect while
    prerequisites are missing, else the view."""

    def decorate(view: KindView) -> KindView:
        @wraps(view)
        def wrapper(module_id: str, item_id: str, **values: Any) -> ResponseReturnValue:
            context = module_context(module_id)
            item = item_or_404(context.module, item_id, kind)
            if context.locked:
                return locked_redirect(context)
            return view(context, item, **values)

        return roles_required(TRAINEE)(wrapper)

    return decorate


def views_of(kind: Kind) -> ModuleType:
    """The module with ``kind``'s ``page`` and ``ACTIONS``."""
    return import_module(kind.views)


def register_kinds(bp: Blueprint, kinds: Iterable[Kind] = KINDS) -> None:
    """Add the item page and every action of ``kinds`` to ``bp``."""
    pages: dict[str, KindView] = {}
    for kind in kinds:
        views = views_of(kind)
        pages[kind.name] = views.page
        for action in views.ACTIONS:
            bp.add_url_rule(
                ITEM_URL + action.rule,
                endpoint=action.endpoint,
                view_func=action.view,
                methods=list(action.methods),
            )

    @item_view(None)
    def item(context: Any, entry: Any) -> ResponseReturnValue:
        """A lesson, quiz, vignette or evaluation page, by the item's kind."""
        page = pages.get(entry.kind)
        if page is None:  # content of a kind this blueprint was not given
            abort(404)
        return page(context, entry)

    bp.add_url_rule(ITEM_URL, endpoint="item", view_func=item, methods=["GET"])
