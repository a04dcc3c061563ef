"""Role-aware navigation and the helpers every template uses."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from .models import ADMIN, AUTHOR, SUPERVISOR, TRAINEE


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[str, ...]


NAV = (
    NavItem("Modules", "learn.catalog", (TRAINEE,)),
    NavItem("Progress", "learn.progress", (TRAINEE,)),
    NavItem("Journal", "learn.journal", (TRAINEE,)),
    # Admins may open every supervisor and author page, so they see those links too.
    NavItem("Cohorts", "supervise.cohorts", (SUPERVISOR, ADMIN)),
    NavItem("Content health", "author.health", (AUTHOR, ADMIN)),
    NavItem("Item analysis", "author.item_analysis", (AUTHOR, ADMIN)),
    NavItem("Users", "admin.users", (ADMIN,)),
    NavItem("Audit log", "admin.audit_log", (ADMIN,)),
)


def fixed_url(endpoint: str, filename: str | None = None) -> str:
    """``url_for`` for a route without variable parts (or a static file),
    remembered per application and script root.

    Every page's layout links the same dozen fixed addresses; building each with
    ``url_for`` on every request was a noticeable share of a page's time. Such a
    URL can only change with the URL map (fixed once the app serves) or the
    mount point, which is part of the key.
    """
    key = (request.script_root, endpoint, filename)
    urls: dict[tuple[str, str, str | None], str] = current_app.extensions[
        "kaptrain_fixed_urls"
    ]
    url = urls.get(key)
    if url is None:
        url = url_for(endpoint, filename=filename) if filename else url_for(endpoint)
        urls[key] = url
    return url


def nav_items() -> list[dict[str, object]]:
    """The links the signed-in person's roles give them, marking the current one."""
    if not current_user.is_authenticated:
        return []
    roles = current_user.roles
    path = request.path
    items = []
    for item in NAV:
        if roles.isdisjoint(item.roles):
            continue
        url = fixed_url(item.endpoint)
        current = path == url or (url != "/" and path.startswith(url.rstrip("/") + "/"))
        items.append({"label": item.label, "url": url, "current": current})
    return items


def init_navigation(app: Flask) -> None:
    app.extensions["kaptrain_fixed_urls"] = {}

    @app.context_processor
    def inject() -> dict[str, object]:
        return {
            "nav_items": nav_items,
            "fixed_url": fixed_url,
            "provider_name": app.config["PROVIDER_NAME"],
        }
