"""How lessons count toward progress.

A lesson's only record is its item progress row (``ItemProgress``, written by
:func:`kaptrain.kinds.records.mark_item_done`); the progress model reads those
rows for every kind that writes them (lessons, and vignettes as they begin and
finish), so a lesson adds no record query of its own. A lesson is done once its
row says so.
"""

from __future__ import annotations

from typing import Any


def is_done(item: Any, progress: Any) -> bool:
    """A lesson is done once marked complete."""
    return item.id in progress.done_item_ids
