"""flask demo puts trainee@example.org part-way through a module, with first
opens and completions that honestly satisfy the time-on-task rule."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from kaptrain.extensions import db
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import module_progress
from kaptrain.learning.time_on_task import lesson_too_soon
from kaptrain.learning.time_report import item_times
from kaptrain.models import ItemOpen, ItemProgress, User
from tests.support.settings import PASSWORD

pytestmark = pytest.mark.content("complete-module")


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"MIN_TIME_SHARE": 1.0}  # even the strictest setting is met


def test_demo_trainee_has_a_module_in_progress(
    app: Any, runner: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("KAPTRAIN_DEMO_PASSWORD", PASSWORD)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "trainee@example.org is part-way through" in result.output
    with app.app_context():
        user = db.session.execute(
            select(User).where(User.email == "trainee@example.org")
        ).scalar_one()
        module = current_catalog().get("complete-module")
        progress = module_progress(user.id, module)
        assert progress.status == "in_progress"
        assert progress.done_item_ids == {"defining-racial-trauma"}
        [done, reading, _case] = item_times(module, [user.id])[user.id]
        assert done.minutes == done.estimated_minutes and not done.flagged
        assert reading.opened_at is not None and reading.completed_at is None
        # The one lesson not done could be completed under the rule only after
        # its full estimate (MIN_TIME_SHARE 1.0): it was opened an hour ago.
        assert lesson_too_soon(user, module, module.lessons[1]) is None
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "part-way" not in again.output
    with app.app_context():  # trainee2's completed module is another demo step
        mine = select(func.count())
        progress_rows = mine.select_from(ItemProgress).where(
            ItemProgress.user_id == user.id
        )
        open_rows = mine.select_from(ItemOpen).where(ItemOpen.user_id == user.id)
        assert db.session.scalar(progress_rows) == 1
        assert db.session.scalar(open_rows) == 2
