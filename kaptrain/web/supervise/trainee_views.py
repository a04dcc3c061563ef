"""Supervisors' views of one trainee, and item analysis of their trainees."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from kaptrain.analytics.report import ATTEMPT_CHOICES, report_for_args
from kaptrain.content import Module
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import progress_for
from kaptrain.learning.time_report import FAR_BELOW, item_times
from kaptrain.models import ADMIN, SUPERVISOR, User
from kaptrain.people.access import (
    cohort_or_404,
    roles_required,
    supervised_user_ids,
    trainee_or_404,
)
from kaptrain.people.accounts import current_account
from kaptrain.platform.database import parse_id
from kaptrain.web.supervise import trainee
from kaptrain.web.supervise.cohorts import member_ids
from kaptrain.web.supervise.forms import CommentForm, ConfirmForm
from kaptrain.web.supervise.views import bp


def _module_or_404(module_id: str) -> Module:
    module = current_catalog().get(module_id)
    if module is None:
        abort(404)
    return module


def _trainee_page(
    user: User, forms: dict[int, CommentForm] | None = None, status: int = 200
) -> ResponseReturnValue:
    catalog = current_catalog()
    progress = progress_for([user.id], catalog)
    entries = trainee.shared_entries(user)
    if entries:
        trainee.record_shared_viewed(
            current_account(), user, len(entries), "trainee page"
        )
    forms = forms or {}
    return render_template(
        "supervise/trainee.html",
        trainee=user,
        cohorts=trainee.visible_cohorts(current_account(), user),
        modules=[(m, progress[(user.id, m.id)]) for m in catalog.modules],
        entries=entries,
        forms={
            e.id: forms.get(e.id) or comment_form(e.id, blank=True) for e in entries
        },
        confirm=ConfirmForm(),
    ), status


def comment_form(entry_id: int, *, blank: bool = False) -> CommentForm:
    """The comment form of one entry; the prefix keeps field ids unique per page."""
    if blank:
        return CommentForm(formdata=None, prefix=f"entry-{entry_id}")
    return CommentForm(prefix=f"entry-{entry_id}")


@bp.get("/trainees/<int:user_id>")
@roles_required(SUPERVISOR)
def trainee_page(user_id: int) -> ResponseReturnValue:
    """A trainee's progress per module and the reflections they shared."""
    return _trainee_page(trainee_or_404(current_account(), user_id))


@bp.get("/trainees/<int:user_id>/modules/<module_id>")
@roles_required(SUPERVISOR)
def trainee_module(user_id: int, module_id: str) -> ResponseReturnValue:
    """Items done, quiz answers, vignette replays and evaluation for one module."""
    user = trainee_or_404(current_account(), user_id)
    module = _module_or_404(module_id)
    detail = trainee.module_detail(user, module)
    if detail.entries:
        trainee.record_shared_viewed(
            current_account(), user, len(detail.entries), f"module {module.id}"
        )
    return render_template(
        "supervise/trainee_module.html",
        trainee=user,
        module=module,
        detail=detail,
        progress=progress_for([user.id], current_catalog())[(user.id, module.id)],
        times=item_times(module, [user.id])[user.id],
        far_below=FAR_BELOW,
    )


@bp.post("/trainees/<int:user_id>/entries/<int:entry_id>/comments")
@roles_required(SUPERVISOR)
def comment(user_id: int, entry_id: int) -> ResponseReturnValue:
    """Comment on an entry the trainee shared."""
    user = trainee_or_404(current_account(), user_id)
    form = comment_form(entry_id)
    if form.validate_on_submit():
        try:
            trainee.add_comment(current_account(), user, entry_id, form.body.data or "")
        except LookupError:
            abort(404)
        except trainee.CommentError as error:
            form.body.errors = [str(error)]
        else:
            flash("Comment saved. The trainee sees it with the entry.", "success")
            return redirect(
                url_for("supervise.trainee_page", user_id=user.id)
                + f"#entry-{entry_id}"
            )
    if entry_id not in {e.id for e in trainee.shared_entries(user)}:
        abort(404)
    return _trainee_page(user, forms={entry_id: form}, status=400)


@bp.get("/modules/<module_id>/analysis")
@roles_required(SUPERVISOR)
def analysis(module_id: str) -> ResponseReturnValue:
    """Item analysis of the post-test over this supervisor's trainees."""
    module = _module_or_404(module_id)
    me = current_account()
    cohort = None
    cohort_arg = request.args.get("cohort", "")
    if cohort_arg:
        cohort_id = parse_id(cohort_arg)
        if cohort_id is None:
            abort(404)
        cohort = cohort_or_404(me, cohort_id)
        users = member_ids(cohort)
    else:
        users = None if me.has_role(ADMIN) else supervised_user_ids(me)
    report = report_for_args(module, users, request.args)
    return render_template(
        "supervise/analysis.html",
        report=report,
        cohort=cohort,
        attempt_choices=ATTEMPT_CHOICES,
        modules=current_catalog().modules,
    )
