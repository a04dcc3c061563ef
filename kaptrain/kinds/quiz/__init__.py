"""The quiz kind: the module's pre-test and post-test.

``attempts.py`` holds the writes (start, skip, grade and submit once), ``views.py``
the overview page, the attempt page and their actions, ``facts.py`` how attempts
count toward progress.
"""

from kaptrain.kinds.base import Kind
from kaptrain.kinds.quiz import facts

#: The two kinds of attempt, as stored in ``QuizAttempt.kind``.
PRE = "pre"
POST = "post"

QUIZ = Kind(
    name="quiz",
    word="Quiz",
    requirement="Pass the post-test “{title}”.",
    views="kaptrain.kinds.quiz.views",
    is_done=facts.is_done,
    listed_last=1,
    facts=facts.SOURCE,
    status_words={PRE: "Pre-test", POST: "Post-test"},
)
