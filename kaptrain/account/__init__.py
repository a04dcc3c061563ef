"""A person's own account: download all their data, delete the account."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from . import mfa_views, views  # noqa: E402,F401
