"""The course evaluation's page (the form, or what was submitted) and its
action, submitting it once."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.content import Evaluation
from kaptrain.kinds.base import Action
from kaptrain.kinds.evaluation.service import (
    EvaluationInput,
    evaluation_response,
    parse_evaluation,
    submit_evaluation,
)
from kaptrain.kinds.page import item_view
from kaptrain.learning.certificates import certificate_for
from kaptrain.models import COMMENT_MAX
from kaptrain.people.accounts import current_account
from kaptrain.web.learn.context import ModuleContext


def page(
    context: ModuleContext,
    evaluation: Evaluation,
    data: EvaluationInput | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    """The evaluation form, or what the trainee submitted."""
    module = context.module
    return render_template(
        "learn/evaluation.html",
        module=module,
        evaluation=evaluation,
        response=evaluation_response(current_account().id, module.id),
        data=data or EvaluationInput(),
        comment_max=COMMENT_MAX,
        prev_item=module.prev_item(evaluation.id),
        next_item=module.next_item(evaluation.id),
    ), status


@item_view("evaluation")
def submit_evaluation_view(
    context: ModuleContext, evaluation: Evaluation
) -> ResponseReturnValue:
    """Submit the course evaluation; errors keep what was entered."""
    user, module = current_account(), context.module
    here = url_for("learn.item", module_id=module.id, item_id=evaluation.id)
    if evaluation_response(user.id, module.id) is not None:
        flash("You have already submitted this evaluation. Thank you.", "info")
        return redirect(here)
    data = parse_evaluation(evaluation, request.form)
    if data.errors:
        return page(context, evaluation, data)
    submit_evaluation(user, module, evaluation, data)
    flash("Thank you: your evaluation is saved.", "success")
    if certificate_for(user.id, module.id) is not None:
        return redirect(url_for("learn.module", module_id=module.id))
    return redirect(here)


ACTIONS = (Action("/evaluation", "submit_evaluation_view", submit_evaluation_view),)
