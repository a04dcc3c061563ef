"""What an item kind declares: the interface every kind of the registry shares.

A kind (lesson, quiz, vignette, evaluation) is a folder under ``kaptrain/kinds/``
whose ``__init__`` declares one :class:`Kind`: its name (the content's ``kind``),
its words, the sentence a trainee reads while it is still required, how its
learner records become progress facts (:class:`FactSource`, in ``facts.py``)
and which module holds its page and actions (``views.py``).

Nothing here imports Flask or the progress package, so the progress model can
read the declarations (words, "done", facts) without importing any view: the
views module is named, and only :func:`kaptrain.kinds.page.register_kinds`
imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: ``read(facts, shape, row)``: fold one record row into a trainee's facts on a
#: module (see :class:`kaptrain.learning.progress.facts.Facts`).
RowReader = Callable[[Any, Any, Any], None]


@dataclass(frozen=True)
class FactSource:
    """One record query that feeds progress, and what reads its rows.

    ``statement(users, modules)`` selects ``(user_id, module_id, ...)`` rows for
    the users IN ``users`` and modules IN ``modules``; ``read`` folds each row into
    the facts. ``grouped`` says the statement has a GROUP BY (a streamed read must
    then group by the sort key too); ``stream_rows`` is the batch a streamed read
    fetches. ``overview(parts)`` gives this source's branch of the dashboard's
    aggregated UNION ALL (see :mod:`kaptrain.learning.progress.overview`).
    """

    name: str
    statement: Callable[[Any, Any], Any]
    read: RowReader
    overview: Callable[[Any], Any]
    grouped: bool = False
    stream_rows: int = 400


def _done_by_id(item: Any, progress: Any) -> bool:
    return item.id in progress.done_item_ids


@dataclass(frozen=True)
class Kind:
    """One item kind, as the registry lists it."""

    #: The content's ``kind`` (``Lesson.kind``, ...), also the key of the registry.
    name: str
    #: The word for the kind on the learning path ("Case" for a vignette).
    word: str
    #: What a trainee reads while a required item of this kind is not done;
    #: ``{title}`` is the item's title.
    requirement: str
    #: Dotted name of the module with ``page(context, item)`` (the item's GET page)
    #: and ``ACTIONS`` (its other routes, :class:`Action`).
    views: str
    #: Whether ``item`` counts as done for ``progress`` (pure: a rule of the one
    #: progress model, declared by the kind).
    is_done: Callable[[Any, Any], bool] = _done_by_id
    #: Where "what remains" lists the kind: the path's items first (0), then the
    #: larger numbers.
    listed_last: int = 0
    #: The kind's record query, when its records are more than item progress rows.
    facts: FactSource | None = None
    #: Words for states and values this kind adds (ratings, attempt kinds); they
    #: join the status words every template reads through ``status_word``.
    status_words: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    """One route of a kind besides its page, under ``/modules/<module_id>/<item_id>``.

    ``rule`` is the rest of the URL ("/start"), ``endpoint`` the name templates
    pass to ``url_for`` (without the blueprint), ``view`` the function (wrapped in
    :func:`kaptrain.kinds.page.item_view`, which takes ``module_id`` and
    ``item_id`` from the URL).
    """

    rule: str
    endpoint: str
    view: Callable[..., Any]
    methods: tuple[str, ...] = ("POST",)
