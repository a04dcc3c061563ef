"""The trainee's journey: catalog, modules, lessons, quizzes, vignettes,
evaluation, journal, progress and certificates."""

from flask import Blueprint

bp = Blueprint("learn", __name__)

from . import views  # noqa: E402,F401
