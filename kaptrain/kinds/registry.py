"""The item kinds, in the order progress reads their records.

Adding a kind is a folder under ``kaptrain/kinds/`` (its declaration in
``__init__``, ``facts.py``, its service and ``views.py``) and one line here; see
docs/architecture.md, "Adding a kind".
"""

from __future__ import annotations

from kaptrain.kinds.base import Kind
from kaptrain.kinds.evaluation import EVALUATION
from kaptrain.kinds.lesson import LESSON
from kaptrain.kinds.quiz import QUIZ
from kaptrain.kinds.vignette import VIGNETTE

KINDS: tuple[Kind, ...] = (
    LESSON,
    QUIZ,
    VIGNETTE,
    EVALUATION,
)

_BY_NAME = {kind.name: kind for kind in KINDS}


def kind_named(name: str) -> Kind:
    """The declaration of the kind called ``name`` (KeyError for an unknown one:
    the content checker admits only registered kinds)."""
    return _BY_NAME[name]


#: The word for each kind ("Case" for a vignette): the ``kind_words`` template global.
KIND_WORDS = {kind.name: kind.word for kind in KINDS}
