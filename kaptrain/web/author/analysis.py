"""Authors' item analysis: which questions work, in aggregate only.

Authors see every trainee's post-test attempts pooled, and never a name, an
email or one person's answers: the pages render only the figures computed by
``analytics``.
"""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from kaptrain.analytics.queries import all_quiz_versions
from kaptrain.analytics.report import ATTEMPT_CHOICES, report_for_args
from kaptrain.learning.course import current_catalog
from kaptrain.models import AUTHOR
from kaptrain.people.access import roles_required
from kaptrain.web.author.views import bp


@bp.get("/analysis", endpoint="item_analysis")
@roles_required(AUTHOR)
def item_analysis() -> ResponseReturnValue:
    """Modules with a post-test, and the content versions that have answers."""
    catalog = current_catalog()
    versions = all_quiz_versions()
    return render_template(
        "author/analysis_index.html",
        rows=[(m, versions.get((m.id, m.quiz.id), [])) for m in catalog.modules],
    )


@bp.get("/analysis/<module_id>", endpoint="item_analysis_module")
@roles_required(AUTHOR)
def item_analysis_module(module_id: str) -> ResponseReturnValue:
    """Facility, discrimination, option counts and KR-20 for one module's quiz."""
    module = current_catalog().get(module_id)
    if module is None:
        abort(404)
    report = report_for_args(module, None, request.args)
    return render_template(
        "author/analysis.html", report=report, attempt_choices=ATTEMPT_CHOICES
    )
