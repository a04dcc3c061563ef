"""The lesson's learner write: "Mark as complete".

The write is idempotent (the item progress row's unique constraint plus
``insert_ignore``) and goes through the unit of work, which issues a certificate
if the module is now complete and commits.
"""

from __future__ import annotations

from kaptrain.content import Lesson, Module
from kaptrain.kinds.records import mark_item_done
from kaptrain.learning.unit_of_work import learner_write
from kaptrain.models import User


def complete_lesson(user: User, module: Module, lesson: Lesson) -> None:
    """Mark a lesson complete (a repeat is harmless) and issue any certificate."""
    with learner_write(user, module, lesson.id, kind="lesson_completed"):
        mark_item_done(user, module, lesson.id)
