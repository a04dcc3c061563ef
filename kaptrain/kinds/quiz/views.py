"""The quiz's page (pre-test offer, rules, attempt history) and its actions:
start, skip the pre-test, the attempt form and its result, submit."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.content import Module, Quiz
from kaptrain.kinds.base import Action
from kaptrain.kinds.page import item_view
from kaptrain.kinds.quiz import POST, PRE
from kaptrain.kinds.quiz.attempts import (
    Answers,
    QuizRefused,
    attempt_or_none,
    attempts,
    is_correct,
    laid_out,
    parse_answers,
    post_test_refusal,
    skip_pretest,
    start_attempt,
    submit_attempt,
)
from kaptrain.learning.post_test_review import explanations_shown
from kaptrain.learning.progress import pretest_on_offer
from kaptrain.models import QuizAttempt
from kaptrain.people.access import deny
from kaptrain.people.accounts import current_account
from kaptrain.web.learn.context import ModuleContext


def page(context: ModuleContext, quiz: Quiz) -> ResponseReturnValue:
    """The quiz overview: pre-test offer, rules, attempt history, start button."""
    module, user = context.module, current_account()
    post = attempts(user.id, module, POST)
    pre = attempts(user.id, module, PRE)
    return render_template(
        "learn/quiz.html",
        module=module,
        quiz=quiz,
        progress=context.progress,
        pre=pre[0] if pre else None,
        pretest_offered=pretest_on_offer(module, context.progress),
        history=[a for a in post if a.submitted_at is not None],
        open_attempt=next((a for a in post if a.submitted_at is None), None),
        refusal=post_test_refusal(quiz, post),
        used=sum(1 for a in post if a.submitted_at is not None),
        prev_item=module.prev_item(quiz.id),
        next_item=module.next_item(quiz.id),
    )


def _attempt_url(module: Module, attempt: QuizAttempt) -> str:
    return url_for(
        "learn.attempt",
        module_id=module.id,
        item_id=attempt.quiz_id,
        attempt_id=attempt.id,
    )


@item_view("quiz")
def start_quiz(context: ModuleContext, quiz: Quiz) -> ResponseReturnValue:
    """Start (or resume) a pre-test or post-test attempt."""
    kind = PRE if request.form.get("kind") == PRE else POST
    try:
        attempt = start_attempt(current_account(), context.module, kind)
    except QuizRefused as refused:
        flash(refused.message, "warning")
        return redirect(
            url_for("learn.item", module_id=context.module.id, item_id=quiz.id)
        )
    return redirect(_attempt_url(context.module, attempt))


@item_view("quiz")
def skip_quiz_pretest(context: ModuleContext, _quiz: Quiz) -> ResponseReturnValue:
    """Record that the trainee skipped the pre-test, then go to the first lesson."""
    if not pretest_on_offer(context.module, context.progress):
        flash("The pre-test is no longer on offer.", "info")
    else:
        try:
            skip_pretest(current_account(), context.module)
        except QuizRefused as refused:
            flash(refused.message, "warning")
        else:
            flash("Pre-test skipped. You can start the lessons.", "info")
    first = context.module.items[0]
    return redirect(
        url_for("learn.item", module_id=context.module.id, item_id=first.id)
    )


def _render_attempt(
    context: ModuleContext, quiz: Quiz, attempt: QuizAttempt, answers: Answers | None
) -> ResponseReturnValue:
    items = laid_out(quiz, attempt)
    if attempt.submitted_at is None:
        return render_template(
            "learn/attempt.html",
            module=context.module,
            quiz=quiz,
            attempt=attempt,
            questions=items,
            answers=answers or Answers(),
        )
    responses = {r.question_id: r for r in attempt.responses}
    results = []
    cited: set[str] = set()
    for question, options in items:
        response = responses.get(question.id)
        chosen = response.answer if response else []
        by_key = {o.key: o for o in question.options}
        results.append(
            {
                "question": question,
                "options": options,
                "chosen": [by_key[k] for k in chosen if k in by_key],
                "correct": response.correct if response else is_correct(question, []),
            }
        )
        cited.update(question.cited_keys)
    history = [
        a
        for a in attempts(attempt.user_id, context.module, attempt.kind)
        if a.submitted_at is not None
    ]
    return render_template(
        "learn/attempt_result.html",
        module=context.module,
        quiz=quiz,
        attempt=attempt,
        results=results,
        history=history,
        refusal=post_test_refusal(quiz, history) if attempt.kind == POST else None,
        explain=explanations_shown(quiz, history),
        references=[r for r in context.module.references if r.key in cited],
        next_item=context.module.next_item(quiz.id),
    )


@item_view("quiz")
def attempt(context: ModuleContext, quiz: Quiz, attempt_id: int) -> ResponseReturnValue:
    """An attempt: the form while open, the stored result once submitted."""
    found = attempt_or_none(current_account().id, context.module, attempt_id)
    if found is None or found.skipped:
        deny()
    return _render_attempt(context, quiz, found, None)


@item_view("quiz")
def submit(context: ModuleContext, quiz: Quiz, attempt_id: int) -> ResponseReturnValue:
    """Grade and store an attempt once; a replay shows the stored result."""
    user = current_account()
    found = attempt_or_none(user.id, context.module, attempt_id)
    if found is None or found.skipped:
        deny()
    url = _attempt_url(context.module, found)
    if found.submitted_at is not None:
        return redirect(url, code=303)
    answers = parse_answers(laid_out(quiz, found), request.form)
    if answers.errors:
        return _render_attempt(context, quiz, found, answers)
    submit_attempt(user, context.module, found, answers)
    return redirect(url, code=303)


ACTIONS = (
    Action("/start", "start_quiz", start_quiz),
    Action("/skip-pretest", "skip_quiz_pretest", skip_quiz_pretest),
    Action("/attempts/<int:attempt_id>", "attempt", attempt, ("GET",)),
    Action("/attempts/<int:attempt_id>", "submit", submit),
)
