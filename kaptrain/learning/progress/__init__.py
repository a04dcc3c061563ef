"""Where trainees stand on each module: one progress model.

* :mod:`.rules`: the rules, as pure functions over one trainee's facts on one
  module (required, done, statuses, next step, what remains, certificate due),
  and the status words.
* :mod:`.queries`: gathers those facts from the learner records, for one trainee
  or a whole cohort, in a fixed number of queries (and streamed, for exports).
* :mod:`.overview`: the cohort-wide aggregate the dashboard sorts and filters on.

Shared by the trainee pages (learn/), the supervisor views (supervise/) and
certificates, so it sits below all of them.
"""

from __future__ import annotations

from flask import Flask

from kaptrain.kinds.registry import KIND_WORDS
from kaptrain.learning.progress.overview import (
    UNTOUCHED,
    ProgressOverview,
    progress_overview,
)
from kaptrain.learning.progress.queries import (
    module_progress,
    progress_for,
    progress_in_order,
)
from kaptrain.learning.progress.rules import (
    COMPLETED,
    DONE,
    IN_PROGRESS,
    LOCKED,
    MODULE_STATUSES,
    NOT_STARTED,
    STATUS_WORDS,
    ModuleProgress,
    is_complete,
    is_done,
    item_state,
    module_status,
    next_step,
    pretest_on_offer,
    remaining_requirements,
    required_count,
    required_ids,
    required_items,
    status_word,
    total_ce_hours,
)

__all__ = [
    "COMPLETED",
    "DONE",
    "IN_PROGRESS",
    "LOCKED",
    "MODULE_STATUSES",
    "NOT_STARTED",
    "STATUS_WORDS",
    "UNTOUCHED",
    "ModuleProgress",
    "ProgressOverview",
    "init_progress_words",
    "is_complete",
    "is_done",
    "item_state",
    "module_progress",
    "module_status",
    "next_step",
    "pretest_on_offer",
    "progress_for",
    "progress_in_order",
    "progress_overview",
    "remaining_requirements",
    "required_count",
    "required_ids",
    "required_items",
    "status_word",
    "total_ce_hours",
]


def init_progress_words(app: Flask) -> None:
    """Give every template the words, from the one place each is written:
    ``status|status_word`` for one status (the kinds' own words included, see
    :data:`.rules.STATUS_WORDS`), ``status_words`` for all, ``module_statuses`` for
    the list a filter offers, and ``kind_words`` (each item kind's word, declared
    by the kind; see :data:`kaptrain.kinds.registry.KIND_WORDS`)."""
    app.jinja_env.filters["status_word"] = status_word
    app.jinja_env.globals["status_words"] = STATUS_WORDS
    app.jinja_env.globals["module_statuses"] = MODULE_STATUSES
    app.jinja_env.globals["kind_words"] = KIND_WORDS
