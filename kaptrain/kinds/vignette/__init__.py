"""The vignette kind: a branching case with choices, feedback and reflections.

``runs.py`` holds the writes (start a run, choose, continue, reflect), ``views.py``
the case page and its actions, ``facts.py`` how runs count toward progress.
"""

from kaptrain.kinds.base import Kind
from kaptrain.kinds.vignette import facts

#: The words for a choice's rating, as feedback and the finished path show them.
RATING_WORDS = {"best": "Best choice", "ok": "Acceptable", "avoid": "Not recommended"}

VIGNETTE = Kind(
    name="vignette",
    word="Case",
    requirement="Finish the case “{title}”.",
    views="kaptrain.kinds.vignette.views",
    facts=facts.SOURCE,
    status_words=RATING_WORDS,
)
