"""gunicorn settings kaptrain relies on.

gunicorn reads ``./gunicorn.conf.py`` from the directory it starts in (``make
run`` and the test servers start in the project folder); elsewhere pass
``-c /path/to/kaptrain/gunicorn.conf.py``. Command-line options still win.
"""

# gunicorn's default request-line limit (4094 bytes) answers a longer URL with a
# bare 400 that carries none of the security headers. Let lines up to gunicorn's
# maximum through: the app answers any URL over kaptrain.platform.headers.MAX_URL_BYTES
# (4096) with its own 414 page, headers included. Longer lines still get
# gunicorn's 400; put a proxy in front that refuses them (docs/security.md).
limit_request_line = 8190
