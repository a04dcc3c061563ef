"""The Flask test client the ``app`` fixture uses."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient


class ClosingClient(FlaskClient):
    """A test client that reads and closes every response, as a WSGI server
    does: work a view defers until its answer is sent (``call_on_close``, used
    where the answer must not depend on an address) runs before the call
    returns."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)
