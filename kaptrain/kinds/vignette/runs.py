"""Vignette runs: start, choose, continue, reflect; every move recorded in order.

Each move carries the run's ``step_count`` as the client last saw it. The step is
inserted with (run_id, seq) as its primary key and the run advanced with a
conditional UPDATE on that count, so a double click records one step and a stale
form simply changes nothing.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from kaptrain.content import Module, Node, Vignette
from kaptrain.extensions import db
from kaptrain.kinds.records import (
    mark_item_done,
    mark_item_started,
    plain_text,
    record_stamp,
)
from kaptrain.learning.unit_of_work import learner_write
from kaptrain.models import (
    JOURNAL_MAX,
    JournalEntry,
    User,
    VignetteRun,
    VignetteStep,
    utcnow,
)
from kaptrain.platform.database import insert_ignore


class ReflectionTooLong(Exception):
    """The reflection is over the journal's length limit."""


def runs(user_id: int, module: Module, vignette: Vignette) -> list[VignetteRun]:
    """The user's runs of this case, oldest first."""
    return list(
        db.session.execute(
            select(VignetteRun)
            .where(
                VignetteRun.user_id == user_id,
                VignetteRun.module_id == module.id,
                VignetteRun.vignette_id == vignette.id,
            )
            .order_by(VignetteRun.number)
        ).scalars()
    )


def run_or_none(
    user_id: int, module: Module, vignette: Vignette, run_id: int
) -> VignetteRun | None:
    """The user's own run of this case, else None."""
    run = db.session.get(VignetteRun, run_id)
    if (
        run is None
        or run.user_id != user_id
        or run.module_id != module.id
        or run.vignette_id != vignette.id
    ):
        return None
    return run


def current_node(vignette: Vignette, run: VignetteRun) -> Node:
    """The node the run stands on (the start, if the content lost that node)."""
    return vignette.nodes.get(run.current_node) or vignette.nodes[vignette.start]


def start_run(user: User, module: Module, vignette: Vignette) -> VignetteRun:
    """Resume the unfinished run, or start a new one (one, even on a double click)."""
    existing = runs(user.id, module, vignette)
    unfinished = next((r for r in existing if r.finished_at is None), None)
    if unfinished is not None:
        return unfinished
    number = (
        db.session.execute(
            select(func.coalesce(func.max(VignetteRun.number), 0)).where(
                VignetteRun.user_id == user.id,
                VignetteRun.module_id == module.id,
                VignetteRun.vignette_id == vignette.id,
            )
        ).scalar_one()
        + 1
    )
    with learner_write(
        user, module, vignette.id, kind="case_started", certify=False
    ) as write:
        insert_ignore(
            VignetteRun,
            {
                "user_id": user.id,
                "vignette_id": vignette.id,
                "number": number,
                "current_node": vignette.start,
                "step_count": 0,
                "started_at": utcnow(),
                **record_stamp(module),
            },
        )
        mark_item_started(user, module, vignette.id)
        run = db.session.execute(
            select(VignetteRun).where(
                VignetteRun.user_id == user.id,
                VignetteRun.module_id == module.id,
                VignetteRun.vignette_id == vignette.id,
                VignetteRun.number == number,
            )
        ).scalar_one()
        write.outcome.update(run_id=run.id, number=number)
    return run


def _advance(
    user: User,
    module: Module,
    vignette: Vignette,
    run: VignetteRun,
    expected_step: int,
    target: str,
    choice_key: str | None = None,
    rating: str | None = None,
) -> int | None:
    """Record one move and advance the run; the step's seq, or None if stale."""
    if run.finished_at is not None or run.step_count != expected_step:
        return None
    if target not in vignette.nodes:
        return None
    seq = expected_step + 1
    node = current_node(vignette, run)
    ending = vignette.nodes[target].kind == "ending"
    now = utcnow()
    values: dict[str, object] = {
        "current_node": target,
        "step_count": seq,
        "last_step_at": now,
    }
    if ending:
        values.update(finished_at=now, ending_id=target)
    moved = db.session.execute(
        update(VignetteRun)
        .where(VignetteRun.id == run.id, VignetteRun.step_count == expected_step)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.rollback()
        return None
    with learner_write(
        user, module, vignette.id, kind="case_step", certify=ending
    ) as write:
        write.outcome.update(step=seq, target=target, finished=ending)
        write.outcome.update(  # for the xAPI statements (kaptrain.xapi)
            run_id=run.id,
            node_id=node.id,
            choice_key=choice_key,
            rating=rating,
            ending=target if ending else None,
        )
        insert_ignore(
            VignetteStep,
            {
                "run_id": run.id,
                "seq": seq,
                "node_id": node.id,
                "choice_key": choice_key,
                "rating": rating,
                "target": target,
                "at": now,
            },
        )
        if ending:
            mark_item_done(user, module, vignette.id)
    return seq


def choose(
    user: User,
    module: Module,
    vignette: Vignette,
    run: VignetteRun,
    expected_step: int,
    choice_key: str,
) -> int | None:
    """Take a choice of the current scene; the new step's seq, or None if stale."""
    node = current_node(vignette, run)
    choice = next((c for c in node.choices if c.key == choice_key), None)
    if choice is None:
        return None
    return _advance(
        user,
        module,
        vignette,
        run,
        expected_step,
        choice.target,
        choice.key,
        choice.rating,
    )


def continue_on(
    user: User, module: Module, vignette: Vignette, run: VignetteRun, expected_step: int
) -> int | None:
    """Follow the Continue of a scene without choices."""
    node = current_node(vignette, run)
    if node.kind != "scene" or node.choices or not node.next:
        return None
    return _advance(user, module, vignette, run, expected_step, node.next)


def reflect(
    user: User,
    module: Module,
    vignette: Vignette,
    run: VignetteRun,
    expected_step: int,
    body: str | None,
) -> int | None:
    """Save the reflection to the journal (unless skipped) and continue."""
    node = current_node(vignette, run)
    if node.kind != "reflection" or not node.next:
        return None
    if run.finished_at is not None or run.step_count != expected_step:
        return None
    if body is not None and len(body) > JOURNAL_MAX:
        raise ReflectionTooLong()
    if body is not None and body.strip():
        now = utcnow()
        prompt = plain_text(node.prompt_html or node.body_html)
        inserted = insert_ignore(
            JournalEntry,
            {
                "user_id": user.id,
                "module_id": module.id,
                "vignette_id": vignette.id,
                "run_id": run.id,
                "node_id": node.id,
                "prompt": prompt,
                "body": body,
                "shared": False,
                "created_at": now,
                "updated_at": now,
            },
        )
        if not inserted:
            db.session.execute(
                update(JournalEntry)
                .where(JournalEntry.run_id == run.id, JournalEntry.node_id == node.id)
                .values(body=body, updated_at=now)
                .execution_options(synchronize_session=False)
            )
    return _advance(user, module, vignette, run, expected_step, node.next)


def reflection_for(run: VignetteRun, node_id: str) -> JournalEntry | None:
    """The journal entry saved at this reflection node in this run."""
    return db.session.execute(
        select(JournalEntry).where(
            JournalEntry.run_id == run.id, JournalEntry.node_id == node_id
        )
    ).scalar_one_or_none()
