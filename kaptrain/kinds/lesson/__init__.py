"""The lesson kind: a Markdown page the trainee reads and marks as complete.

``service.py`` holds the write ("Mark as complete"), ``views.py`` the page and its
action, ``facts.py`` how a lesson counts toward progress.
"""

from kaptrain.kinds.base import Kind
from kaptrain.kinds.lesson import facts

LESSON = Kind(
    name="lesson",
    word="Lesson",
    requirement="Complete the lesson “{title}”.",
    views="kaptrain.kinds.lesson.views",
    is_done=facts.is_done,
)
