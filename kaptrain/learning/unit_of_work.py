"""The one path every learner write takes, and the event it announces.

``with learner_write(user, module, item_id, kind="lesson_completed") as write:``
runs the caller's block (the write itself: an insert, an update), then, in this
order and in the same transaction: issues the certificate if the module is now
complete, raises the trainee's records version (so every worker's progress cache
recomputes), records a :class:`LearnerEvent`, and commits. After the commit the
event is delivered to every handler registered with :func:`subscribe` (the xAPI
statements and notifications hang here).

Decision: handlers run after the commit, so a handler's failure can never lose or
undo the trainee's write; an exception in a handler is logged and the next
handler still runs. A block that raises commits nothing and announces nothing.

Handlers registered with :func:`on_write` run *inside* the transaction, just
before the commit (the xAPI outbox writes its statements there, so a statement
exists exactly when the record it describes does). Their failure fails the
write: they must only add rows. :func:`announce` runs them for a trainee's act
that is not a record of progress (sharing a reflection); its caller commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kaptrain.content import Module
from kaptrain.extensions import db
from kaptrain.learning.certificates import issue_certificate_if_complete
from kaptrain.learning.progress_cache import records_changed
from kaptrain.models import Certificate, User, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LearnerEvent:
    """Something a trainee did, as the subscribers see it."""

    kind: str  # e.g. "lesson_completed", "quiz_submitted"
    user_id: int
    module_id: str
    item_id: str | None
    outcome: dict[str, Any]
    at: dt.datetime


@dataclass
class LearnerWrite:
    """What the caller's block may fill in: the event's ``outcome``; after the
    block, ``certificate`` holds the module's certificate when one is issued."""

    outcome: dict[str, Any] = field(default_factory=dict)
    certificate: Certificate | None = None


Handler = Callable[[LearnerEvent], None]
_handlers: list[Handler] = []

#: ``hook(event, user, module, certificate)``; module is None for an act about a
#: module the catalog no longer has (see :func:`announce`).
WriteHook = Callable[[LearnerEvent, User, "Module | None", "Certificate | None"], None]
_write_hooks: list[WriteHook] = []


def on_write(hook: WriteHook) -> WriteHook:
    """Call ``hook`` inside every learner write's transaction, before the commit."""
    if hook not in _write_hooks:
        _write_hooks.append(hook)
    return hook


def off_write(hook: WriteHook) -> None:
    """Stop calling ``hook``."""
    if hook in _write_hooks:
        _write_hooks.remove(hook)


def _run_write_hooks(
    event: LearnerEvent,
    user: User,
    module: Module | None,
    certificate: Certificate | None,
) -> None:
    for hook in list(_write_hooks):
        hook(event, user, module, certificate)


def announce(
    user: User,
    module: Module | None,
    module_id: str,
    item_id: str | None,
    *,
    kind: str,
    outcome: dict[str, Any],
) -> None:
    """Run the in-transaction hooks for an act the caller records and commits
    itself (no certificate check, no records version)."""
    event = LearnerEvent(kind, user.id, module_id, item_id, dict(outcome), utcnow())
    _run_write_hooks(event, user, module, None)


def subscribe(handler: Handler) -> Handler:
    """Call ``handler(event)`` after every committed learner write (usable as a
    decorator); returns the handler."""
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def unsubscribe(handler: Handler) -> None:
    """Stop calling ``handler``."""
    if handler in _handlers:
        _handlers.remove(handler)


def _deliver(event: LearnerEvent) -> None:
    for handler in list(_handlers):
        try:
            handler(event)
        except Exception:  # a subscriber's bug must not fail the trainee's request
            log.exception("learner event handler %r failed on %s", handler, event.kind)


@contextmanager
def learner_write(
    user: User,
    module: Module,
    item_id: str | None = None,
    *,
    kind: str,
    certify: bool = True,
    progress: bool = True,
) -> Iterator[LearnerWrite]:
    """Apply a learner write (the ``with`` block), then certificate (unless
    ``certify`` is false: a write that cannot complete a module skips the
    check's queries), records version (unless ``progress`` is false: a record
    no progress rule reads, such as a first open, keeps the progress caches),
    event and commit; see the module docstring."""
    write = LearnerWrite()
    yield write
    if certify:
        write.certificate = issue_certificate_if_complete(user, module)
    if progress:
        records_changed(user.id)
    event = LearnerEvent(
        kind=kind,
        user_id=user.id,
        module_id=module.id,
        item_id=item_id,
        outcome=dict(write.outcome),
        at=utcnow(),
    )
    _run_write_hooks(event, user, module, write.certificate)
    db.session.commit()
    _deliver(event)
