"""Sign-in, sign-out, registration by cohort invite, password change and reset."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402,F401  (registers the routes on bp)
