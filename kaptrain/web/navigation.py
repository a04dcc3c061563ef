"""Role-aware navigation and the helpers every template uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from kaptrain.models import ADMIN, AUTHOR, SUPERVISOR, TRAINEE


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[str, ...]


#: What each kind of module item is called on learner and author pages.
NAV = (
    NavItem("Modules", "learn.catalog", (TRAINEE,)),
    NavItem("Progress", "learn.progress", (TRAINEE,)),
    NavItem("Journal", "learn.journal", (TRAINEE,)),
    # Admins may open every supervisor and author page, so they see those links too.
    NavItem("Cohorts", "supervise.cohorts", (SUPERVISOR, ADMIN)),
    NavItem("Content health", "author.health", (AUTHOR, ADMIN)),
    NavItem("Item analysis", "author.item_analysis", (AUTHOR, ADMIN)),
    NavItem("Studio", "studio.modules", (AUTHOR, ADMIN)),
    NavItem("Users", "admin.users", (ADMIN,)),
    NavItem("Audit log", "admin.audit_log", (ADMIN,)),
    NavItem("Certificates", "admin.certificates", (ADMIN,)),
    NavItem("CE packets", "admin.ce_packets", (ADMIN,)),
    NavItem("xAPI", "admin.xapi", (ADMIN,)),
)


#: Distinct URLs one worker remembers before starting again (a few MB at most).
MAX_REMEMBERED_URLS = 20_000


def cached_url_for(endpoint: str, **values: Any) -> str:
    """``url_for``, remembered per application, mount point and arguments.

    Templates get this as ``url_for``. A learner page links the same few dozen
    addresses (layout, modules, items) on every request, and building each one
    through the URL map was a noticeable share of a page's time. A URL built
    from the same endpoint and values can only differ with the URL map (fixed
    once the app serves) or the mount point (``script_root``, part of the key).
    Values that cannot be a dictionary key are built every time.

    Kept because it measured: the module page (about 25 links) costs about 8%
    more CPU without it (bench/analysis.md, "Issue 14: cleverness earns its
    place").
    """
    if any(name.startswith("_") for name in values):
        # _external, _scheme, _anchor...: may depend on the request's host.
        return url_for(endpoint, **values)
    try:
        key = (request.script_root, endpoint, *sorted(values.items()))
        urls: dict[tuple[Any, ...], str] = current_app.extensions["kaptrain_urls"]
        url = urls.get(key)
    except TypeError:  # an unhashable value (a list): nothing to remember
        return url_for(endpoint, **values)
    if url is None:
        url = url_for(endpoint, **values)
        if len(urls) >= MAX_REMEMBERED_URLS:
            urls.clear()
        urls[key] = url
    return url


def nav_items() -> list[dict[str, object]]:
    """The links the signed-in person's roles give them, marking the current one."""
    if not current_user.is_authenticated:
        return []
    from kaptrain.people.mfa import is_pending

    if is_pending(current_user):  # only the code page and sign-out are open
        return []
    roles = current_user.roles
    path = request.path
    items = []
    for item in NAV:
        if roles.isdisjoint(item.roles):
            continue
        url = cached_url_for(item.endpoint)
        current = path == url or (url != "/" and path.startswith(url.rstrip("/") + "/"))
        items.append({"label": item.label, "url": url, "current": current})
    return items


def machine_time(moment: dt.date) -> str:
    """A ``<time datetime>`` value: HTML allows at most milliseconds."""
    if isinstance(moment, dt.datetime):
        return moment.isoformat(timespec="milliseconds")
    return moment.isoformat()


def init_navigation(app: Flask) -> None:
    app.extensions["kaptrain_urls"] = {}
    app.jinja_env.globals["url_for"] = cached_url_for
    app.jinja_env.filters["machine_time"] = machine_time

    @app.context_processor
    def inject() -> dict[str, object]:
        return {
            "nav_items": nav_items,
            "provider_name": app.config["PROVIDER_NAME"],
        }
