"""Shared fixtures: an app with a fresh database per test, a client, a CLI runner,
``make_user(role=...)`` and ``login(user)``, which posts to the real sign-in form.

The suite runs on SQLite by default. With ``KAPTRAIN_TEST_DATABASE_URL`` set to a
PostgreSQL URL it runs on PostgreSQL: the schema is created once per session and
every table is emptied before each test.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from kaptrain import create_app
from kaptrain.extensions import db
from kaptrain.models import ROLES, Cohort, CohortMember, User, UserRole
from kaptrain.people.mfa import STAFF_ROLES
from kaptrain.platform.mail import stop_delivery
from tests.support.client import ClosingClient
from tests.support.content import content_config
from tests.support.database import PG_URL, create_pg_database_if_missing
from tests.support.mfa import enrol, needs_code, pass_code
from tests.support.settings import PASSWORD, base_config

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[None]:
    """Create the schema once per session on PostgreSQL."""
    if not PG_URL:
        yield
        return
    create_pg_database_if_missing(PG_URL)
    app = create_app(base_config(database_url=PG_URL))
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    yield


@pytest.fixture(scope="session")
def _sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """On SQLite, an empty database with the schema, made once per session (per
    xdist worker); each test gets a copy of the file instead of running
    ``create_all`` again (about a third of an empty test's set-up)."""
    if PG_URL:
        return None
    folder = tmp_path_factory.mktemp("schema")
    template = folder / "schema.db"
    (folder / "modules").mkdir()
    app = create_app(
        base_config(
            f"sqlite:///{template}",
            MAIL_DIR=folder / "mail",
            MODULES_DIR=folder / "modules",
        )
    )
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # the last close checkpoints the WAL into the file
    return template


def _truncate_all() -> None:
    # DELETE, children first, is several times faster than TRUNCATE on the tiny
    # tables a test leaves behind (TRUNCATE rewrites every table's files).
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the app's settings."""
    return {}


@pytest.fixture
def content_folder(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Settings for the content folder named by ``@pytest.mark.content(...)``
    (see tests/support/content.py); none without the marker."""
    marker = request.node.get_closest_marker("content")
    if marker is None:
        return {}
    return content_config(tmp_path, *marker.args, **marker.kwargs)


@pytest.fixture
def app(
    tmp_path: Path,
    _pg_schema: None,
    _sqlite_schema: Path | None,
    content_folder: dict[str, Any],
    app_config: dict[str, Any],
) -> Iterator[Flask]:
    """The application with a fresh, empty database."""
    url = PG_URL or f"sqlite:///{tmp_path / 'test.db'}"
    config = {"MAIL_DIR": tmp_path / "mail", **content_folder, **app_config}
    copied = False
    if _sqlite_schema is not None and config.get("SQLALCHEMY_DATABASE_URI", url) == url:
        shutil.copyfile(_sqlite_schema, tmp_path / "test.db")
        copied = True
    application = create_app(base_config(url, **config))
    application.test_client_class = ClosingClient
    with application.app_context():
        if PG_URL:
            _truncate_all()
        elif not copied:
            db.create_all()
    yield application
    stop_delivery(application)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[Any]:
    """A real SMTP server on loopback for the whole session (aiosmtpd)."""
    from tests.support.mail import SMTPServer

    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(app: Flask, smtp_server: Any) -> Iterator[Any]:
    """Mail the app sends during this test, as received by a real SMTP server:
    a list of EmailMessage with ``wait_for(n)``, ``to(address)`` and ``text(m)``."""
    from tests.support.mail import Mailbox

    box = Mailbox()
    smtp_server.sink = box
    smtp_server.refuse_next = 0
    app.config["SMTP_URL"] = smtp_server.url
    yield box
    stop_delivery(app)
    smtp_server.sink = None


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a user directly in the database: ``make_user(role="supervisor")``."""

    def factory(
        role: str | tuple[str, ...] = "trainee",
        *,
        email: str | None = None,
        name: str | None = None,
        password: str = PASSWORD,
        cohort: Cohort | None = None,
        active: bool = True,
        mfa: bool | None = None,
    ) -> User:
        """Staff get a confirmed authenticator unless ``mfa=False`` (trainees
        only with ``mfa=True``); its secret is ``user.totp_secret``."""
        roles = (role,) if isinstance(role, str) else role
        assert all(r in ROLES for r in roles)
        n = next(_counter)
        with app.app_context():
            from kaptrain.people.passwords import hash_password

            user = User(
                email=(email or f"{roles[0]}{n}@example.org").lower(),
                name=name or f"Test {roles[0].capitalize()} {n}",
                password_hash=hash_password(password),
                active=active,
            )
            user.role_rows = [UserRole(role=r) for r in roles]
            db.session.add(user)
            db.session.flush()
            if cohort is not None:
                db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
            if mfa is None:
                mfa = any(r in STAFF_ROLES for r in roles)
            secret = enrol(user.id) if mfa else None
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        user.totp_secret = secret  # type: ignore[attr-defined]
        return user

    return factory


@pytest.fixture
def make_cohort(app: Flask) -> Callable[..., Cohort]:
    """Create a cohort, optionally supervised: ``make_cohort(supervisors=[u])``."""

    def factory(
        name: str | None = None, supervisors: tuple[User, ...] | list[User] = ()
    ) -> Cohort:
        from kaptrain.people.accounts import new_invite_code

        with app.app_context():
            cohort = Cohort(
                name=name or f"Cohort {next(_counter)}", invite_code=new_invite_code()
            )
            for supervisor in supervisors:
                cohort.supervisors.append(db.session.get(User, supervisor.id))
            db.session.add(cohort)
            db.session.commit()
            db.session.refresh(cohort)
            db.session.expunge(cohort)
        return cohort

    return factory


@pytest.fixture
def login(app: Flask, client: FlaskClient) -> Callable[..., Any]:
    """Sign in through the real form: ``login(user)`` or ``login(email, password)``.

    The browser counts as one that signed in to the account before (it carries
    the known-device cookie), so no "new sign-in" mail or event is made; tests
    of those sign in without this helper.
    """
    from kaptrain.web.auth.devices import device_cookie

    def do_login(
        user: User | str, password: str = PASSWORD, follow: bool = False
    ) -> Any:
        email = user if isinstance(user, str) else user.email
        with app.app_context():
            name, value = device_cookie(email.strip().lower())
        client.set_cookie(name, value, path="/login")
        response = client.post("/login", data={"email": email, "password": password})
        secret = getattr(user, "totp_secret", None)
        if secret and needs_code(response):
            # Staff (and enrolled trainees) pass the second step with a real code.
            response = pass_code(client, secret, response.headers["Location"])
        if follow:
            while response.status_code in (301, 302, 303):
                response = client.get(response.headers["Location"])
            return response
        assert response.status_code == 302, "login failed"
        return response

    return do_login


@pytest.fixture
def trainee(make_user: Callable[..., User], login: Callable[..., Any]) -> User:
    """A trainee signed in with ``client`` (test files may define their own)."""
    user = make_user()
    login(user)
    return user


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A gunicorn with two workers on loopback, a fresh migrated database and the
    demo accounts (password ``live_server.DEMO_PASSWORD``); one per test module."""
    from tests.support.live_server import start_live_server

    with start_live_server(tmp_path_factory.mktemp("live")) as server:
        yield server
