"""What a post-test review may show: explanations wait until the key is safe.

A question's explanation usually names the keyed answer ("B is right because...").
Shown after a failed attempt while more attempts remain, it turns the next attempt
into a copying exercise and the CE credit into a formality. Decision: the review of
a post-test attempt shows explanations once the trainee has passed (any attempt)
or has used the last of ``max_attempts``. Until then the review shows, for each
question, whether it was right, the trainee's own answer and the feedback written
for the options the trainee chose that are wrong (feedback meant to teach why a
choice falls short; docs/authoring.md says how to write it so it does not name the
right option). The feedback of a correct option the trainee chose in a question
still marked incorrect (a multiple-answer item) is held back too, since it would
sort the key from the distractors.
"""

from __future__ import annotations

from collections.abc import Iterable

from kaptrain.content import Quiz
from kaptrain.models import QuizAttempt


def explanations_shown(quiz: Quiz, history: Iterable[QuizAttempt]) -> bool:
    """True when the post-test's explanations may be shown to this trainee."""
    submitted = [a for a in history if a.submitted_at is not None]
    if any(a.passed for a in submitted):
        return True
    return quiz.max_attempts is not None and len(submitted) >= quiz.max_attempts
