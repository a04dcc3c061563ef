"""The web layer: one blueprint per feature (its views parse the request, call a
service and render a template) and the navigation helpers templates use.

Each blueprint is defined in its package's ``views`` module. A package whose routes
fill more than one module (``account/mfa_views.py``, ...) adds those modules to the
blueprint from there; ``ROUTE_MODULES`` lists every module that declares routes, and
``register_blueprints`` imports them all before registering, so no package imports
its views at the bottom of an ``__init__``.
"""

from __future__ import annotations

from importlib import import_module

from flask import Flask

#: Every module that declares routes, blueprint by blueprint, in registration order.
#: The first module of each group defines the blueprint (``bp``).
ROUTE_MODULES: tuple[tuple[str, ...], ...] = (
    ("main.views",),
    ("auth.views",),
    ("account.views", "account.mfa_views"),
    # The item kinds' routes join learn.views' blueprint there (kinds.page).
    (
        "learn.views",
        "learn.journal_views",
        "learn.certificate_views",
        "learn.credential_views",
    ),
    ("supervise.views", "supervise.trainee_views"),
    ("author.views", "author.analysis"),
    (
        "admin.views",
        "admin.certificate_views",
        "admin.ce_views",
        "admin.xapi_views",
    ),
    (
        "studio.views",
        "studio.editor_views",
        "studio.upload_views",
        "studio.preview_views",
        "studio.review_views",
        "studio.history_views",
    ),
)


def register_blueprints(app: Flask) -> None:
    """Import every route module, then register each blueprint on ``app``."""
    for group in ROUTE_MODULES:
        modules = [import_module(f"{__name__}.{name}") for name in group]
        app.register_blueprint(modules[0].bp)
