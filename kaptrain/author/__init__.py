"""Authors: content health, module preview and item analysis."""

from flask import Blueprint

bp = Blueprint("author", __name__, url_prefix="/author")

from . import views  # noqa: E402,F401
