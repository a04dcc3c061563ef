"""Supervisors: cohorts, the cohort dashboard, trainee detail, exports,
item analysis and knowledge gain."""

from flask import Blueprint

bp = Blueprint("supervise", __name__, url_prefix="/supervise")

from . import trainee_views, views  # noqa: E402,F401
