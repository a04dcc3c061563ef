"""The vignette's page (the intro, each scene, feedback after a choice,
reflections, endings) and its actions: start or resume a run, make a move."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.content import Vignette
from kaptrain.kinds.base import Action
from kaptrain.kinds.page import item_view
from kaptrain.kinds.vignette import RATING_WORDS
from kaptrain.kinds.vignette.runs import (
    ReflectionTooLong,
    choose,
    continue_on,
    current_node,
    reflect,
    reflection_for,
    run_or_none,
    runs,
    start_run,
)
from kaptrain.learning.time_on_task import record_open, step_part, step_too_soon
from kaptrain.models import JOURNAL_MAX, VignetteRun
from kaptrain.people.access import deny
from kaptrain.people.accounts import current_account
from kaptrain.platform.database import parse_id
from kaptrain.web.learn.context import ModuleContext

#: The badge (CSS class) for each rating of a choice.
RATING_BADGES = {"best": "badge-done", "ok": "badge-progress", "avoid": "badge-fail"}


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name, ""))


def _path(vignette: Vignette, run: VignetteRun) -> list[dict[str, Any]]:
    """The run's moves in order, with the words for each rating."""
    path = []
    for step in run.steps:
        node = vignette.nodes.get(step.node_id)
        choice = None
        if node is not None and step.choice_key:
            choice = next((c for c in node.choices if c.key == step.choice_key), None)
        path.append({"step": step, "node": node, "choice": choice})
    return path


def page(
    context: ModuleContext,
    vignette: Vignette,
    run: VignetteRun | None = None,
    error: str | None = None,
    draft: str | None = None,
) -> ResponseReturnValue:
    """The case as it stands: intro, feedback after a choice, or the current node."""
    module, user = context.module, current_account()
    all_runs = runs(user.id, module, vignette)
    run_id = _int_arg("run")
    if run is not None:
        pass
    elif run_id is not None:
        run = run_or_none(user.id, module, vignette, run_id)
        if run is None:
            deny()
    else:
        run = next((r for r in all_runs if r.finished_at is None), None)
    common = {
        "module": module,
        "vignette": vignette,
        "ratings": RATING_WORDS,
        "badges": RATING_BADGES,
        "next_item": module.next_item(vignette.id),
        "prev_item": module.prev_item(vignette.id),
    }
    if run is None:
        return render_template(
            "learn/vignette_intro.html",
            finished=[r for r in all_runs if r.finished_at is not None],
            **common,
        )
    after = _int_arg("after")
    step = next((s for s in run.steps if s.seq == after), None) if after else None
    if step is not None and step.choice_key:
        node = vignette.nodes.get(step.node_id)
        choice = next((c for c in node.choices if c.key == step.choice_key), None)
        if choice is not None:
            return render_template(
                "learn/vignette_feedback.html",
                run=run,
                node=node,
                choice=choice,
                **common,
            )
    if run.finished_at is None and vignette.id not in context.progress.done_item_ids:
        record_open(user.id, module, vignette.id, step_part(run, run.step_count))
    node = current_node(vignette, run)
    saved = reflection_for(run, node.id) if node.kind == "reflection" else None
    return render_template(
        "learn/vignette_node.html",
        run=run,
        node=node,
        path=_path(vignette, run) if run.finished_at else [],
        error=error,
        draft=draft if draft is not None else (saved.body if saved else ""),
        journal_max=JOURNAL_MAX,
        **common,
    )


@item_view("vignette")
def start_vignette(context: ModuleContext, vignette: Vignette) -> ResponseReturnValue:
    """Start a run (resuming an unfinished one instead)."""
    run = start_run(current_account(), context.module, vignette)
    return redirect(
        url_for(
            "learn.item", module_id=context.module.id, item_id=vignette.id, run=run.id
        )
    )


@item_view("vignette")
def move(
    context: ModuleContext, vignette: Vignette, run_id: int
) -> ResponseReturnValue:
    """One move in a run: a choice, a Continue, or a reflection and Continue."""
    module_id, item_id = context.module.id, vignette.id
    user = current_account()
    run = run_or_none(user.id, context.module, vignette, run_id)
    if run is None:
        deny()
    here = url_for("learn.item", module_id=module_id, item_id=item_id, run=run.id)
    step_text = request.form.get("step", "")
    if not (step_text.isascii() and step_text.isdigit()) or len(step_text) > 9:
        return redirect(here, code=303)
    step = int(step_text)
    done = vignette.id in context.progress.done_item_ids
    too_soon = step_too_soon(user, context.module, vignette, run, step, done)
    if too_soon is not None:  # time on task; a reflection's text is kept
        flash(too_soon.message, "error")
        draft = request.form.get("reflection")
        return page(context, vignette, run, draft=draft) if draft else redirect(here)
    if "choice" in request.form:
        seq = choose(user, context.module, vignette, run, step, request.form["choice"])
        if seq is not None:
            return redirect(
                url_for(
                    "learn.item",
                    module_id=module_id,
                    item_id=item_id,
                    run=run_id,
                    after=seq,
                ),
                code=303,
            )
    elif "reflection" in request.form or "skip" in request.form:
        body = None if "skip" in request.form else request.form.get("reflection", "")
        body = body.replace("\r\n", "\n") if body is not None else None
        try:
            reflect(user, context.module, vignette, run, step, body)
        except ReflectionTooLong:
            error = (
                f"Shorten your reflection to {JOURNAL_MAX:,} characters or fewer "
                f"(it has {len(body or ''):,}); your text is still here."
            )
            return page(context, vignette, run=run, error=error, draft=body)
    else:
        continue_on(user, context.module, vignette, run, step)
    return redirect(here, code=303)


ACTIONS = (
    Action("/runs", "start_vignette", start_vignette),
    Action("/runs/<int:run_id>", "move", move),
)
