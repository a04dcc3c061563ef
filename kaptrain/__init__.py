"""kaptrain: a training platform for therapists.

``create_app`` is the only thing defined here: configuration, extensions,
blueprints, error handlers, CLI commands and the content catalog, in that order.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from kaptrain.platform.config import PROJECT_ROOT, load_config
from kaptrain.platform.setting_values import ConfigError


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application. Bad settings exit with one line naming the variable."""
    instance = Path(
        os.environ.get("KAPTRAIN_INSTANCE_DIR") or PROJECT_ROOT / "instance"
    )
    app = Flask(
        __name__,
        instance_path=str(instance.resolve()),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    try:
        app.config.from_mapping(load_config(Path(app.instance_path), test_config))
    except ConfigError as error:
        raise SystemExit(f"kaptrain: {error}") from None
    _configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    from kaptrain.authoring.sync import init_content_source
    from kaptrain.learning.course import init_catalog
    from kaptrain.learning.progress_cache import init_progress_cache
    from kaptrain.web.learn.fragments import init_fragments

    init_content_source(app)
    init_catalog(app)
    init_progress_cache(app)
    init_fragments(app)
    return app


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from kaptrain.platform.logsafe import install

    install()


def register_extensions(app: Flask) -> None:
    from kaptrain.extensions import csrf, limiter, login_manager, migrate
    from kaptrain.people.accounts import load_session_user
    from kaptrain.platform.database import init_database
    from kaptrain.platform.headers import init_security

    init_database(app)
    from kaptrain.extensions import db

    # Batch mode lets ALTERs run on SQLite, which cannot alter most constraints.
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_session_user)
    from kaptrain.people.sessions import init_sessions

    init_sessions(app)
    init_security(app)
    from kaptrain.people.mfa import init_mfa
    from kaptrain.platform.mail import init_mail

    init_mail(app)
    init_mfa(app)
    from kaptrain.xapi import init_xapi

    init_xapi(app)


def register_blueprints(app: Flask) -> None:
    from kaptrain.web import register_blueprints as register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from kaptrain.platform.errors import register_errorhandlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from kaptrain.cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from kaptrain.learning.progress import init_progress_words
    from kaptrain.web.navigation import init_navigation

    init_navigation(app)
    init_progress_words(app)


__all__ = ["create_app"]
