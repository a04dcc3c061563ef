"""Helpers shared by the learn, progress and certificate tests."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

CONTENT = Path(__file__).resolve().parents[1] / "content"
MODULE_ID = "complete-module"


def copy_fixture_module(dest: Path, *, edit: dict[str, str] | None = None) -> Path:
    """Copy the complete fixture module into ``dest/modules`` and return that dir.

    ``edit`` maps a file name to (old, new) pairs joined by "=>", for variants.
    """
    modules = dest / "modules"
    target = modules / MODULE_ID
    shutil.copytree(CONTENT / "complete-module", target)
    for name, change in (edit or {}).items():
        old, new = change.split("=>", 1)
        path = target / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return modules


SECOND_ID = "second-module"


def add_second_module(modules: Path) -> None:
    """A copy of the fixture module that lists the first as its prerequisite."""
    target = modules / SECOND_ID
    shutil.copytree(modules / MODULE_ID, target)
    path = target / "module.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace(f"id: {MODULE_ID}", f"id: {SECOND_ID}", 1)
    text = text.replace("order: 1", "order: 2", 1)
    text = text.replace("prerequisites: []", f"prerequisites: [{MODULE_ID}]", 1)
    text = text.replace('title: "Racial trauma:', 'title: "Second module:', 1)
    text = text.replace("ce_hours: 1", "ce_hours: 1.5", 1)
    path.write_text(text, encoding="utf-8")


def fixture_config(
    tmp_path: Path, *, second: bool = False, edit: dict[str, str] | None = None
) -> dict[str, Any]:
    """App settings pointing MODULES_DIR at a private copy of the fixture module
    (and, with ``second``, a second module that requires the first)."""
    modules = copy_fixture_module(tmp_path, edit=edit)
    if second:
        add_second_module(modules)
    return {
        "MODULES_DIR": modules,
        "PROVIDER_NAME": "Test Provider",
        "PROVIDER_APPROVAL": "Approval 123",
    }


def form_value(html: str, name: str) -> str:
    """The value of the first hidden input called ``name``."""
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no input {name!r} in the page"
    return match.group(1)


def attempt_form(app: Any, attempt_id: int, *, correct: bool = True) -> dict[str, Any]:
    """Form data answering every item of an attempt, all right or all wrong."""
    from kaptrain.extensions import db
    from kaptrain.kinds.quiz.attempts import laid_out
    from kaptrain.learning.course import current_catalog
    from kaptrain.models import QuizAttempt

    with app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        quiz = current_catalog().get(attempt.module_id).quiz
        items = laid_out(quiz, attempt)
    data: dict[str, Any] = {}
    for question, options in items:
        value_of = {o.key: str(n) for n, o in enumerate(options, 1)}
        name = f"q-{question.id}"
        if question.type == "order":
            order = [o.key for o in question.options]
            if not correct:
                order = order[1:] + order[:1]
            for position, key in enumerate(order, 1):
                data[f"{name}-{position}"] = value_of[key]
            continue
        keys = list(question.correct_keys)
        if not correct:
            keys = [o.key for o in question.options if not o.correct][:1]
        data[name] = [value_of[k] for k in keys]
    return data


def latest_attempt(app: Any, user_id: int, kind: str = "post") -> Any:
    """The user's newest attempt of this kind (detached)."""
    from sqlalchemy import select

    from kaptrain.extensions import db
    from kaptrain.models import QuizAttempt

    with app.app_context():
        attempt = db.session.execute(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user_id, QuizAttempt.kind == kind)
            .order_by(QuizAttempt.number.desc())
            .limit(1)
        ).scalar_one_or_none()
        if attempt is not None:
            db.session.expunge(attempt)
        return attempt


QUIZ_URL = f"/modules/{MODULE_ID}/post-test"
VIGNETTE_URL = f"/modules/{MODULE_ID}/first-session"
EVALUATION_URL = f"/modules/{MODULE_ID}/course-evaluation"
LESSONS = ("defining-racial-trauma", "microaggressions")


def start_post_test(client: Any, app: Any, user: Any) -> Any:
    """Start a post-test attempt through the form and return it."""
    response = client.post(f"{QUIZ_URL}/start", data={"kind": "post"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return latest_attempt(app, user.id)


def submit_attempt(client: Any, app: Any, attempt: Any, *, correct: bool) -> Any:
    """Answer and submit an attempt; returns the response (not followed)."""
    return client.post(
        f"{QUIZ_URL}/attempts/{attempt.id}",
        data=attempt_form(app, attempt.id, correct=correct),
    )


def finish_lessons(client: Any) -> None:
    for lesson in LESSONS:
        response = client.post(f"/modules/{MODULE_ID}/{lesson}/complete")
        assert response.status_code == 302


def submit_evaluation(client: Any) -> Any:
    return client.post(
        f"{EVALUATION_URL}/evaluation",
        data={
            "rating-objectives-met": "5",
            "rating-relevant": "4",
            "comment-improve": "",
        },
    )
