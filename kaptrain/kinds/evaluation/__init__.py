"""The evaluation kind: the course evaluation, ratings 1-5 and comments, once.

``service.py`` holds the form's parsing and the write, ``views.py`` the page and
its action, ``facts.py`` how a response counts toward progress.
"""

from kaptrain.kinds.base import Kind
from kaptrain.kinds.evaluation import facts

EVALUATION = Kind(
    name="evaluation",
    word="Evaluation",
    requirement="Submit the course evaluation “{title}”.",
    views="kaptrain.kinds.evaluation.views",
    is_done=facts.is_done,
    listed_last=2,
    facts=facts.SOURCE,
)
