"""Rate limits a view checks itself, where a refusal must keep the form.

Flask-Limiter's decorators answer a limited request with the 429 page before
the view runs, which would lose what a trainee typed. :func:`hit` counts one
action against the same shared storage (so the limits hold across workers)
and leaves the answer to the view, which shows the message on the form.
"""

from __future__ import annotations

import math
import time

from limits import parse_many

from kaptrain.extensions import limiter
from kaptrain.people import security_events

#: A trainee writing reflections stays far below this; a script does not.
JOURNAL_WRITES = "20 per 10 minutes; 200 per day"


def hit(name: str, limits: str, key: str) -> int | None:
    """Count one ``name`` action by ``key``: None when allowed, otherwise the
    seconds until it will be (nothing is counted then)."""
    if not limiter.enabled:
        return None
    items = parse_many(limits)
    strategy = limiter.limiter
    for item in items:
        if not strategy.test(item, name, key):
            reset_at, _remaining = strategy.get_window_stats(item, name, key)
            security_events.record_refusal(security_events.RATE_LIMITED, str(item))
            return max(1, math.ceil(reset_at - time.time()))
    for item in items:
        strategy.hit(item, name, key)
    return None


def wait_in_words(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 90:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"


def journal_write(user_id: int) -> str | None:
    """None if the user may save a journal entry now, else a message for the form."""
    wait = hit("journal-write", JOURNAL_WRITES, str(user_id))
    if wait is None:
        return None
    return (
        "You have saved many journal entries in a short time, so saving is paused "
        f"for about {wait_in_words(wait)}. Your text is kept here: save it again "
        "then, or copy it somewhere safe."
    )
