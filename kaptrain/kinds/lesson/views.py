"""The lesson's page (content note, the lesson, previous/next) and its action,
"Mark as complete"."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kaptrain.content import Lesson
from kaptrain.kinds.base import Action
from kaptrain.kinds.lesson.service import complete_lesson
from kaptrain.kinds.page import item_view
from kaptrain.learning.course import current_catalog
from kaptrain.learning.time_on_task import lesson_too_soon, record_open
from kaptrain.people.accounts import current_account
from kaptrain.web.learn.context import ModuleContext
from kaptrain.web.learn.fragments import fragment


def page(context: ModuleContext, lesson: Lesson) -> ResponseReturnValue:
    """Render a lesson; a content note comes first, on its own page."""
    module = context.module
    done = lesson.id in context.progress.done_item_ids
    # The note is shown before the material until the lesson is done; "Continue"
    # and "Skip" are plain links, so reading a lesson never writes anything.
    if lesson.content_note and not done and request.args.get("note") != "seen":
        return render_template(
            "learn/content_note.html",
            module=module,
            item=lesson,
            note=lesson.content_note,
            continue_url=url_for(
                "learn.item", module_id=module.id, item_id=lesson.id, note="seen"
            ),
            next_item=module.next_item(lesson.id),
        )
    if not done:  # time on task: the first time the material is served
        record_open(current_user.id, module, lesson.id, load_user=current_account)
    next_item = module.next_item(lesson.id)
    article = fragment(
        ("lesson", current_catalog().version, module.id, lesson.id, done),
        lambda: render_template(
            "learn/_lesson_article.html",
            module=module,
            lesson=lesson,
            done=done,
            references=[r for r in module.references if r.key in lesson.cited_keys],
            next_item=next_item,
        ),
    )
    return render_template(
        "learn/lesson.html",
        module=module,
        lesson=lesson,
        done=done,
        article=article,
        prev_item=module.prev_item(lesson.id),
        next_item=next_item,
    )


@item_view("lesson")
def complete(context: ModuleContext, lesson: Lesson) -> ResponseReturnValue:
    """Mark a lesson complete, then go on to the next item."""
    module = context.module
    too_soon = lesson_too_soon(current_account(), module, lesson)
    if too_soon is not None:
        flash(too_soon.message, "error")
        here = url_for("learn.item", module_id=module.id, item_id=lesson.id)
        return redirect(f"{here}?note=seen")  # back to the material, not the note
    complete_lesson(current_account(), module, lesson)
    flash(f"“{lesson.title}” marked as complete.", "success")
    following = module.next_item(lesson.id)
    if following is None:
        return redirect(url_for("learn.module", module_id=module.id))
    return redirect(url_for("learn.item", module_id=module.id, item_id=following.id))


ACTIONS = (Action("/complete", "complete", complete),)
