"""The progress rules, written once: pure functions over a trainee's records.

Which items are required, what counts as done, an item's and a module's status,
the next step, what remains before a certificate and whether a certificate is
due. Every reader applies these: the trainee pages (learn/), the supervisor
dashboard, drill-down and CSV (supervise/) and certificates. The queries in
:mod:`.queries` and :mod:`.overview` only gather the facts these functions read;
they never decide a status themselves.

No database, no Flask: each function takes a content :class:`Module` (or item)
and a :class:`ModuleProgress` (the facts of one trainee on one module).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kaptrain.content import Catalog, Item, Module
from kaptrain.kinds.registry import KINDS, kind_named

# -- statuses and their words -------------------------------------------------

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
#: An item's status once done (``ItemProgress.status`` of a finished lesson or
#: vignette, too).
DONE = "done"
#: An item's status on the module page while prerequisites lock the module.
LOCKED = "locked"

#: The statuses a module can have, in the order lists offer them.
MODULE_STATUSES = (NOT_STARTED, IN_PROGRESS, COMPLETED)

#: The words people read for each status: the one place they are written, with
#: the words each item kind adds (attempt kinds, ratings; see
#: :attr:`kaptrain.kinds.base.Kind.status_words`). The templates reach them through
#: the ``status_word`` filter and the ``status_words`` global, see
#: :func:`kaptrain.learning.progress.init_progress_words`.
STATUS_WORDS = {
    NOT_STARTED: "Not started",
    IN_PROGRESS: "In progress",
    COMPLETED: "Completed",
    DONE: "Done",
    LOCKED: "Locked",
}
for _kind in KINDS:
    STATUS_WORDS.update(_kind.status_words)


def status_word(status: str) -> str:
    """The words for ``status``; an unknown status reads as not started."""
    return STATUS_WORDS.get(status, STATUS_WORDS[NOT_STARTED])


# -- the facts of one trainee on one module -----------------------------------


@dataclass(frozen=True)
class ModuleProgress:
    """One trainee's state on one module.

    ``done_item_ids`` holds every item of the current module that is done: lessons
    marked complete, vignettes with a finished run, the quiz once a post-test is
    passed, the evaluation once submitted. ``ce_hours_earned`` is the hours on the
    certificate (its snapshot, so it matches what the trainee was awarded), else 0.
    """

    user_id: int
    module_id: str
    status: str
    lessons_done: int
    lessons_total: int
    vignettes_done: int
    vignettes_total: int
    done_item_ids: frozenset[str]
    pretest_score: float | None
    pretest_skipped: bool
    best_post_score: float | None
    post_attempts: int
    passed: bool
    passed_at: dt.datetime | None
    evaluation_done: bool
    certificate_code: str | None
    completed_at: dt.datetime | None
    ce_hours_earned: Decimal
    last_activity: dt.datetime | None
    first_activity: dt.datetime | None
    #: Items begun but not done: a vignette with an unfinished run, a post-test
    #: with attempts but no pass (lessons go straight from not started to done).
    started_item_ids: frozenset[str] = frozenset()

    @property
    def completed(self) -> bool:
        """True once the certificate is issued."""
        return self.status == COMPLETED

    @property
    def pretest_taken(self) -> bool:
        """True when the pre-test was submitted or skipped."""
        return self.pretest_score is not None or self.pretest_skipped


# -- required ----------------------------------------------------------------


def required_items(module: Module) -> tuple[Any, ...]:
    """The items a trainee must finish: the content's own declaration
    (:attr:`Module.required_items`, every item not marked optional)."""
    return module.required_items


def required_ids(module: Module, kind: str | None = None) -> tuple[str, ...]:
    """Ids of the required items of ``module`` (of one ``kind`` when given), in
    module order."""
    return tuple(i.id for i in required_items(module) if kind is None or i.kind == kind)


def required_count(catalog: Catalog) -> int:
    """Required items over every module of ``catalog`` (each id counted once)."""
    return sum(len(set(required_ids(m))) for m in catalog.modules)


# -- done, and an item's status ----------------------------------------------


def is_done(item: Item, progress: ModuleProgress) -> bool:
    """Whether ``item`` counts as done, as its kind declares (``facts.is_done`` of
    the kind: the post-test passed for the quiz, any evaluation response for the
    evaluation, otherwise the item among the done items)."""
    return kind_named(item.kind).is_done(item, progress)


def item_state(item: Item, progress: ModuleProgress) -> str:
    """``done``, ``in_progress`` or ``not_started`` for one item of the path."""
    if is_done(item, progress):
        return DONE
    if item.id in progress.started_item_ids:
        return IN_PROGRESS
    return NOT_STARTED


def module_status(*, certified: bool, touched: bool) -> str:
    """A module's status from two facts: completed once the certificate is issued,
    in progress once any record exists, else not started."""
    if certified:
        return COMPLETED
    if touched:
        return IN_PROGRESS
    return NOT_STARTED


# -- the next step and the certificate ---------------------------------------


def pretest_on_offer(module: Module, progress: ModuleProgress) -> bool:
    """The pre-test is offered until it is taken or skipped, or a post-test begins."""
    return (
        module.quiz.pretest
        and not progress.pretest_taken
        and module.quiz.id not in progress.started_item_ids
        and not progress.passed
    )


def next_step(module: Module, progress: ModuleProgress) -> Item | None:
    """Where to continue: the pre-test while it is on offer, else the first
    required item not done; None when every required item is done."""
    if pretest_on_offer(module, progress):
        return module.quiz
    for item in required_items(module):
        if not is_done(item, progress):
            return item
    return None


def remaining_requirements(module: Module, progress: ModuleProgress) -> list[str]:
    """What is still needed to complete ``module``, as sentences (each kind's
    :attr:`~kaptrain.kinds.base.Kind.requirement`); the path's items first, then
    the kinds listed last (the post-test, then the evaluation)."""
    open_items = [i for i in required_items(module) if not is_done(i, progress)]
    open_items.sort(key=lambda i: kind_named(i.kind).listed_last)
    return [kind_named(i.kind).requirement.format(title=i.title) for i in open_items]


def is_complete(module: Module, progress: ModuleProgress) -> bool:
    """True when every completion requirement of ``module`` is met: the
    certificate is then due."""
    return all(is_done(i, progress) for i in required_items(module))


def total_ce_hours(progress: Iterable[ModuleProgress]) -> Decimal:
    """The CE hours earned over ``progress`` (certified modules only)."""
    return sum((p.ce_hours_earned for p in progress), Decimal(0))
