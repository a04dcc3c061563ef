"""Supervisors' cohort views: list, members, dashboard, gain and CSV exports."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kaptrain.extensions import client_address, limiter
from kaptrain.learning.course import current_catalog
from kaptrain.learning.progress import MODULE_STATUSES
from kaptrain.models import SUPERVISOR, Cohort, utcnow
from kaptrain.people import membership
from kaptrain.people.access import cohort_or_404, roles_required
from kaptrain.people.accounts import current_account
from kaptrain.web.supervise import cohorts, dashboard, exports
from kaptrain.web.supervise.forms import AddMemberForm, CohortForm, ConfirmForm

bp = Blueprint("supervise", __name__, url_prefix="/supervise")


def _cohort(cohort_id: int) -> Cohort:
    return cohort_or_404(current_account(), cohort_id)


def _cohort_list(form: CohortForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "supervise/cohorts.html", rows=cohorts.cohort_list(current_account()), form=form
    ), status


@bp.get("/", endpoint="cohorts")
@bp.get("/cohorts", endpoint="cohorts")
@roles_required(SUPERVISOR)
def cohorts_page() -> ResponseReturnValue:
    """The cohorts this supervisor runs, and a form to start one."""
    return _cohort_list(CohortForm())


@bp.post("/cohorts")
@roles_required(SUPERVISOR)
def create_cohort() -> ResponseReturnValue:
    """Start a cohort supervised by the current user."""
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohort = cohorts.create_cohort(current_account(), form.name.data or "")
        except cohorts.CohortError as error:
            form.name.errors = [error.message]
        else:
            flash(
                f"Cohort created. Trainees join with the invite code "
                f"{cohort.invite_code}.",
                "success",
            )
            return redirect(url_for("supervise.members", cohort_id=cohort.id))
    return _cohort_list(form, 400)


def _requested_page(raw: str | None) -> int | None:
    """The page number asked for: None when absent or not a whole number, else
    the number (possibly out of range: the dashboard brings it into range)."""
    if raw is None or not re.fullmatch(r"[0-9]+", raw):
        return None
    # Longer than any real page number; int() would refuse thousands of digits.
    return int(raw) if len(raw) <= 9 else 10**9


@bp.get("/cohorts/<int:cohort_id>", endpoint="dashboard")
@roles_required(SUPERVISOR)
def dashboard_page(cohort_id: int) -> ResponseReturnValue:
    """Trainees by modules with status and best post-test (a page at a time, in
    the chosen order over the whole cohort), and module summaries."""
    cohort = _cohort(cohort_id)
    catalog = current_catalog()
    sort = request.args.get("sort", "name")
    status = request.args.get("status", "")
    module_id = request.args.get("module", "")
    raw_page = request.args.get("page")
    page = _requested_page(raw_page)
    notices = []
    if sort not in dashboard.SORTS:
        notices.append("Sorted by name: choose one of the listed sort orders.")
        sort = "name"
    if status and status not in MODULE_STATUSES:
        notices.append("Showing every status: choose one of the listed statuses.")
        status = ""
    if module_id and catalog.get(module_id) is None:
        notices.append("Showing every module: choose one of the listed modules.")
        module_id = ""
    board = dashboard.cohort_dashboard(
        cohort, catalog, sort=sort, status=status, module_id=module_id, page=page or 1
    )
    if raw_page is not None and page is None:
        notices.append(
            f"Showing page {board.page}: page numbers are whole numbers from 1 to "
            f"{board.pages}."
        )
    elif page is not None and page != board.page:
        asked = f"page {page}" if page < 10**9 else "such page"
        notices.append(
            f"There is no {asked}: showing page {board.page} of {board.pages}."
        )
    return render_template(
        "supervise/dashboard.html",
        cohort=cohort,
        board=board,
        sort=sort,
        status=status,
        module_id=module_id,
        sorts=dashboard.SORTS,
        notices=notices,
        page_links=_page_links(board.page, board.pages),
    )


def _page_links(page: int, pages: int) -> list[int | None]:
    """Page numbers for the pager: the first, the last and two either side of
    the current page, with None where numbers are left out."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[int | None] = []
    previous = 0
    for number in shown:
        if number - previous > 1:
            links.append(None)
        links.append(number)
        previous = number
    return links


def _members_page(
    cohort: Cohort,
    add_form: AddMemberForm | None = None,
    name_form: CohortForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    if name_form is None:
        name_form = CohortForm(formdata=None, name=cohort.name)
    return render_template(
        "supervise/members.html",
        cohort=cohort,
        rows=cohorts.members(cohort, current_catalog()),
        invitations=membership.pending_invitations(cohort),
        add_form=add_form or AddMemberForm(formdata=None),
        name_form=name_form,
        confirm=ConfirmForm(),
    ), status


@bp.get("/cohorts/<int:cohort_id>/members")
@roles_required(SUPERVISOR)
def members(cohort_id: int) -> ResponseReturnValue:
    """Members with their last activity; add, remove, rename, new invite code."""
    return _members_page(_cohort(cohort_id))


def _inviter_key() -> str:
    # Limits are checked before the role check runs, so anonymous requests (sent
    # on to sign in) count against their address.
    if current_user.is_authenticated:
        return f"user-{current_user.id}"
    return client_address()


@bp.post("/cohorts/<int:cohort_id>/members")
@roles_required(SUPERVISOR)
@limiter.limit("60 per hour", key_func=lambda: f"invite:{_inviter_key()}")
def add_member(cohort_id: int) -> ResponseReturnValue:
    """Invite a trainee by e-mail address; they join when they accept.

    The answer is the same for every address (an account or not, trainee or
    staff): the e-mail tells the address's owner what happened.
    """
    cohort = _cohort(cohort_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            message = membership.invite(
                current_account(), cohort, form.email.data or ""
            )
        except membership.MembershipError as error:
            form.email.errors = [error.message]
        else:
            flash(message, "success")
            return redirect(url_for("supervise.members", cohort_id=cohort.id))
    return _members_page(cohort, add_form=form, status=400)


@bp.post("/cohorts/<int:cohort_id>/invitations/<int:invitation_id>/withdraw")
@roles_required(SUPERVISOR)
def withdraw_invitation(cohort_id: int, invitation_id: int) -> ResponseReturnValue:
    """Withdraw an invitation that has not been answered."""
    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        invitation = membership.withdraw(current_account(), cohort, invitation_id)
    except LookupError:
        abort(404)
    flash(f"The invitation to {invitation.email} is withdrawn.", "success")
    return redirect(url_for("supervise.members", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/members/<int:user_id>/remove")
@roles_required(SUPERVISOR)
def remove_member(cohort_id: int, user_id: int) -> ResponseReturnValue:
    """Take a trainee out of the cohort; their records are kept, they are told."""
    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = membership.remove(current_account(), cohort, user_id)
    if user is None:
        abort(404)
    flash(
        f"{user.name} ({user.email}) removed from {cohort.name} and told by e-mail. "
        "Their records are kept; to see them again, invite them again.",
        "success",
    )
    return redirect(url_for("supervise.members", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/name")
@roles_required(SUPERVISOR)
def rename(cohort_id: int) -> ResponseReturnValue:
    """Rename the cohort."""
    cohort = _cohort(cohort_id)
    form = CohortForm()
    if form.validate_on_submit():
        try:
            cohorts.rename_cohort(current_account(), cohort, form.name.data or "")
        except cohorts.CohortError as error:
            form.name.errors = [error.message]
        else:
            flash("Cohort renamed.", "success")
            return redirect(url_for("supervise.members", cohort_id=cohort.id))
    return _members_page(cohort, name_form=form, status=400)


@bp.post("/cohorts/<int:cohort_id>/invite")
@roles_required(SUPERVISOR)
def regenerate_invite(cohort_id: int) -> ResponseReturnValue:
    """Replace the invite code; the old code stops working."""
    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    code = cohorts.regenerate_invite(current_account(), cohort)
    flash(f"New invite code: {code}. The old code no longer works.", "success")
    return redirect(url_for("supervise.members", cohort_id=cohort.id))


@bp.get("/cohorts/<int:cohort_id>/gain")
@roles_required(SUPERVISOR)
def gain(cohort_id: int) -> ResponseReturnValue:
    """Paired pre/post scores per trainee and the cohort's mean gains."""
    cohort = _cohort(cohort_id)
    return render_template(
        "supervise/gain.html",
        cohort=cohort,
        rows=dashboard.cohort_gain(cohort, current_catalog()),
    )


def _csv_response(lines: Iterable[str], filename: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _filename(cohort: Cohort, what: str) -> str:
    return f"cohort-{cohort.id}-{what}-{utcnow():%Y-%m-%d}.csv"


@bp.get("/cohorts/<int:cohort_id>/export/progress.csv")
@roles_required(SUPERVISOR)
def export_progress(cohort_id: int) -> Response:
    """CSV: one row per trainee and module."""
    cohort = _cohort(cohort_id)
    catalog = current_catalog()
    exports.record_export(current_account(), cohort, "progress.csv")
    lines = exports.csv_lines(
        exports.PROGRESS_COLUMNS, exports.progress_rows(cohort, catalog)
    )
    return _csv_response(lines, _filename(cohort, "progress"))


@bp.get("/cohorts/<int:cohort_id>/export/attempts.csv")
@roles_required(SUPERVISOR)
def export_attempts(cohort_id: int) -> Response:
    """CSV: one row per item answered in each quiz attempt."""
    cohort = _cohort(cohort_id)
    exports.record_export(current_account(), cohort, "attempts.csv")
    lines = exports.csv_lines(exports.ATTEMPT_COLUMNS, exports.attempt_rows(cohort))
    return _csv_response(lines, _filename(cohort, "attempts"))
