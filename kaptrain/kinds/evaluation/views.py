"""The course evaluation: ratings 1-5 and comments, submitted once."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.content import Evaluation
from kaptrain.learning.certificates import certificate_for
from kaptrain.models import COMMENT_MAX, TRAINEE
from kaptrain.people.access import roles_required
from kaptrain.people.accounts import current_account
from kaptrain.web.learn.common import item_or_404
from kaptrain.web.learn.context import (
    ModuleContext,
    locked_redirect,
    module_context,
)
from kaptrain.web.learn.records import (
    EvaluationInput,
    evaluation_response,
    parse_evaluation,
    submit_evaluation,
)
from kaptrain.web.learn.views import bp


def show(
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


@bp.post("/modules/<module_id>/<item_id>/evaluation")
@roles_required(TRAINEE)
def submit_evaluation_view(module_id: str, item_id: str) -> ResponseReturnValue:
    """Submit the course evaluation; errors keep what was entered."""
    context = module_context(module_id)
    evaluation = item_or_404(context.module, item_id, "evaluation")
    if context.locked:
        return locked_redirect(context)
    user = current_account()
    if evaluation_response(user.id, context.module.id) is not None:
        flash("You have already submitted this evaluation. Thank you.", "info")
        return redirect(url_for("learn.item", module_id=module_id, item_id=item_id))
    data = parse_evaluation(evaluation, request.form)
    if data.errors:
        return show(context, evaluation, data)
    submit_evaluation(user, context.module, evaluation, data)
    flash("Thank you: your evaluation is saved.", "success")
    if certificate_for(user.id, context.module.id) is not None:
        return redirect(url_for("learn.module", module_id=module_id))
    return redirect(url_for("learn.item", module_id=module_id, item_id=item_id))
