"""Time on task in the supervisor's drill-down (issue 16): per item, with
completions far below the estimate flagged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from kaptrain.extensions import db
from kaptrain.models import ItemOpen
from tests import test_supervise_support as support
from tests.test_supervise_support import T0, World

pytestmark = pytest.mark.content("complete-module")
world = support.world


def _open(app: Any, user_id: int, item_id: str, at: dt.datetime) -> None:
    with app.app_context():
        db.session.add(
            ItemOpen(
                user_id=user_id,
                module_id="complete-module",
                item_id=item_id,
                part="",
                opened_at=at,
            )
        )
        db.session.commit()


def test_drill_down_shows_time_on_task_and_flags_a_rushed_lesson(
    app: Any, client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    # The seeded lessons are completed at T0+0:30 and T0+1:30.
    _open(app, world.trainee.id, "defining-racial-trauma", T0)  # 30 of 20 min
    _open(app, world.trainee.id, "microaggressions", T0 + dt.timedelta(minutes=89))
    login(world.supervisor)
    url = f"/supervise/trainees/{world.trainee.id}/modules/complete-module"
    html = client.get(url).get_data(as_text=True)
    table = html.split('id="time-heading"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr>")[2:]
    first = next(r for r in rows if "defining" in r.lower() or "Defining" in r)
    assert "30.0 min" in first and "Far below the estimate" not in first
    second = next(r for r in rows if "1.0 min" in r)
    assert "Far below the estimate" in second
    assert html.count("Far below the estimate") == 1


def test_drill_down_without_opens_says_not_recorded(
    client: FlaskClient, login: Callable[..., Any], world: World
) -> None:
    login(world.supervisor)
    url = f"/supervise/trainees/{world.trainee.id}/modules/complete-module"
    table = client.get(url).get_data(as_text=True).split('id="time-heading"', 1)[1]
    table = table.split("</table>", 1)[0]
    assert "Not recorded" in table and "Far below the estimate" not in table
