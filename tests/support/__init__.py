"""Helpers shared by tests; conftest.py holds only the fixtures built on them.

* ``settings``: ROOT, CONTENT_FIXTURES, PASSWORD and ``base_config`` for test apps.
* ``database``: PG_URL (one database per pytest-xdist worker), ``database_backend``,
  ``pg_admin_engine``.
* ``client``: the test client class; ``forms``: ``csrf_token_from``.
* ``learn``: the fixture module and helpers for lessons, quizzes and evaluations.
* ``live_server``: a real gunicorn on loopback; ``mail``, ``mfa``, ``webauthn``.

Test modules import from here, never from ``conftest``.
"""
