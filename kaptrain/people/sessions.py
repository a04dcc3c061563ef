"""Session controls: the idle timeout, and one's own list of signed-in browsers.

Every request already reads its login session row (``accounts.load_session_user``);
the idle check rides on that query, so it costs nothing extra. Writing the
"last seen" time on every request would turn every page view into a write, so
it is refreshed at most once a minute (``TOUCH_SECONDS``), after the response
is built (teardown), in a transaction of its own: the idle limit is therefore
exact to within a minute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from flask import (
    Flask,
    current_app,
    flash,
    g,
    has_request_context,
    request,
    session,
)
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from kaptrain.extensions import db
from kaptrain.models import ADMIN, AUTHOR, SUPERVISOR, LoginSession, utcnow
from kaptrain.models.users import USER_AGENT_MAX
from kaptrain.platform.database import set_write_intent

log = logging.getLogger("kaptrain.platform.headers")

STAFF_ROLES = frozenset({SUPERVISOR, AUTHOR, ADMIN})
#: The last-seen time is written at most this often per session.
TOUCH_SECONDS = 60
_TOUCH = "kaptrain_touch_session"


def idle_limit(roles: frozenset[str], remember: bool) -> dt.timedelta | None:
    """How long a session may sit unused, or None for no idle limit.

    Staff (supervisor, author, admin) always time out; a trainee's session does
    too, unless they ticked "keep me signed in" (it still ends at its absolute
    limit of seven days).
    """
    if not roles.isdisjoint(STAFF_ROLES):
        minutes = current_app.config["IDLE_MINUTES_STAFF"]
    elif remember:
        return None
    else:
        minutes = current_app.config["IDLE_MINUTES_TRAINEE"]
    return dt.timedelta(minutes=minutes)


def is_idle(
    last_seen: dt.datetime | None,
    now: dt.datetime,
    roles: frozenset[str],
    remember: bool,
) -> bool:
    limit = idle_limit(roles, remember)
    return limit is not None and last_seen is not None and now - last_seen > limit


def signed_out_for_idleness(roles: frozenset[str], remember: bool) -> None:
    """Tell the person why they must sign in again, once: forget the session in
    the cookie (and the remember-me cookie), so later requests do not ask again."""
    if not has_request_context():
        return
    limit = idle_limit(roles, remember)
    minutes = int(limit.total_seconds() // 60) if limit else 0
    session.pop("_user_id", None)
    session.pop("_fresh", None)
    if request.cookies.get(current_app.config["REMEMBER_COOKIE_NAME"]):
        session["_remember"] = "clear"  # Flask-Login deletes the cookie
    flash(
        f"You were signed out after {minutes} minutes without activity. Sign in "
        "again to go on.",
        "info",
    )


def note_activity(token: str, last_seen: dt.datetime | None, now: dt.datetime) -> None:
    """Ask for the session's last-seen time to be refreshed after this request,
    if it is more than ``TOUCH_SECONDS`` old."""
    if not has_request_context():
        return
    if last_seen is None or (now - last_seen).total_seconds() >= TOUCH_SECONDS:
        g.setdefault(_TOUCH, token)


def _touch_after_request(_error: BaseException | None) -> None:
    token = g.pop(_TOUCH, None)
    if token is None:
        return
    # The request's own work is finished (committed, or about to be discarded by
    # the session's removal), so close its transaction and write in a new one.
    try:
        db.session.rollback()
        set_write_intent(True)
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token == token)
            .values(last_seen_at=utcnow(), ip=(request.remote_addr or "")[:64])
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        # Losing one refresh only shortens that session's idle allowance.
        log.warning("could not refresh a session's last-seen time", exc_info=True)


def session_details() -> dict[str, object]:
    """The columns ``start_session`` records about the signing-in browser."""
    return {
        "user_agent": request.user_agent.string[:USER_AGENT_MAX],
        "ip": (request.remote_addr or "")[:64],
    }


def public_id(token: str) -> str:
    """A session's name in pages and forms: never the token itself, which is the
    session's credential."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SessionInfo:
    id: str
    device: str
    ip: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool


def active_sessions(
    user_id: int, roles: frozenset[str], current_token: str | None
) -> list[SessionInfo]:
    """The user's live sessions (not expired, not idle), most recent first."""
    now = utcnow()
    rows = db.session.execute(
        select(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.expires_at > now)
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.created_at.desc())
    ).scalars()
    sessions = []
    for row in rows:
        last_seen = row.last_seen_at or row.created_at
        current = row.token == current_token
        if not current and is_idle(last_seen, now, roles, row.remember):
            continue
        sessions.append(
            SessionInfo(
                id=public_id(row.token),
                device=describe_device(row.user_agent),
                ip=row.ip or "unknown",
                created_at=row.created_at,
                last_seen_at=now if current else last_seen,
                current=current,
            )
        )
    sessions.sort(key=lambda s: (not s.current, -s.last_seen_at.timestamp()))
    return sessions


def end_session_by_id(user_id: int, session_id: str, current_token: str | None) -> bool:
    """Sign out the user's own session named ``session_id`` (not the current
    one: that is the ordinary sign-out). False when there is no such session."""
    tokens = db.session.execute(
        select(LoginSession.token).where(LoginSession.user_id == user_id)
    ).scalars()
    for token in tokens:
        if token != current_token and public_id(token) == session_id:
            db.session.execute(delete(LoginSession).where(LoginSession.token == token))
            return True
    return False


_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "an iPhone"),
    ("iPad", "an iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "a Mac"),
    ("Macintosh", "a Mac"),
    ("Linux", "Linux"),
)


def describe_device(user_agent: str) -> str:
    """The User-Agent in plain words: "Firefox on Windows", "Safari on an iPhone"."""
    if not user_agent:
        return "Unknown browser"
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    # A script or tool: show what it calls itself, briefly.
    return user_agent.split("/")[0].strip()[:40] or "Unknown browser"


def approximate(moment: dt.datetime, now: dt.datetime | None = None) -> str:
    """``moment`` in rough words: "just now", "5 minutes ago", "3 days ago"."""
    seconds = ((now or utcnow()) - moment).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def init_sessions(app: Flask) -> None:
    app.teardown_request(_touch_after_request)
    app.add_template_filter(approximate, "ago")
