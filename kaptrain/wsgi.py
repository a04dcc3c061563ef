"""The WSGI entry point for gunicorn: ``gunicorn kaptrain.wsgi:app``.

Unlike ``create_app`` (which tests and the CLI call before a database exists),
this checks at start-up that the database answers, and exits with one line naming
``KAPTRAIN_DATABASE_URL`` when it does not.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kaptrain import create_app
from kaptrain.extensions import db

app = create_app()

with app.app_context():
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError as error:
        reason = str(error.orig if hasattr(error, "orig") else error).splitlines()[0]
        raise SystemExit(
            "kaptrain: cannot reach the database named by KAPTRAIN_DATABASE_URL "
            f"({reason}). Check the URL and that the server is running."
        ) from None
