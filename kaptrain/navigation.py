"""Role-aware navigation and the helpers every template uses."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for
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


def nav_items() -> list[dict[str, object]]:
    """The links the signed-in person's roles give them, marking the current one."""
    if not current_user.is_authenticated:
        return []
    items = []
    for item in NAV:
        if not current_user.has_role(*item.roles):
            continue
        url = url_for(item.endpoint)
        current = request.path == url or (
            url != "/" and request.path.startswith(url.rstrip("/") + "/")
        )
        items.append({"label": item.label, "url": url, "current": current})
    return items


def init_navigation(app: Flask) -> None:
    from .auth.forms import ConfirmForm

    @app.context_processor
    def inject() -> dict[str, object]:
        return {
            "nav_items": nav_items,
            "signout_form": ConfirmForm,
            "provider_name": app.config["PROVIDER_NAME"],
        }
