"""Views (being written)."""

from . import analysis as _analysis  # noqa: F401
from . import bp  # noqa: F401
