"""Shared fixtures: an app with a fresh database per test, a client, a CLI runner,
``make_user(role=...)`` and ``login(user)``, which posts to the real sign-in form.

The suite runs on SQLite by default. With ``KAPTRAIN_TEST_DATABASE_URL`` set to a
PostgreSQL URL it runs on PostgreSQL: the schema is created once per session and
every table is emptied before each test.
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from kaptrain import create_app
from kaptrain.config import check_database_url
from kaptrain.extensions import db
from kaptrain.mail import stop_delivery
from kaptrain.mfa import STAFF_ROLES
from kaptrain.models import ROLES, Cohort, CohortMember, User, UserRole
from tests.support.mfa import enrol, needs_code, pass_code

ROOT = Path(__file__).resolve().parent.parent
CONTENT_FIXTURES = Path(__file__).resolve().parent / "content"
PASSWORD = "tidal-lantern-orchard-92"
# Cheap scrypt parameters for speed; production uses N=2^17 (see kaptrain.config).
TEST_PASSWORD_METHOD = "scrypt:1024:8:1"



def _test_database_url() -> str | None:
    """KAPTRAIN_TEST_DATABASE_URL, with the pytest-xdist worker id appended to the
    database name in a parallel run (``kaptrain_test_gw0``, ...): every worker
    empties its database before each test, so workers cannot share one."""
    url = os.environ.get("KAPTRAIN_TEST_DATABASE_URL") or None
    if not url:
        return None
    url = check_database_url(url, "KAPTRAIN_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
        hide_password=False
    )


PG_URL = _test_database_url()

_counter = itertools.count(1)


def database_backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[None]:
    """Create the schema once per session on PostgreSQL."""
    if not PG_URL:
        yield
        return
    _create_pg_database_if_missing(PG_URL)
    app = create_app(_base_config(database_url=PG_URL))
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    yield


def _create_pg_database_if_missing(url: str) -> None:
    """Create the test database named by the URL, so a developer needs no setup."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    name = make_url(url).database
    try:
        engine = pg_admin_engine()
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
    except OperationalError as error:
        pytest.exit(
            f"KAPTRAIN_TEST_DATABASE_URL: cannot reach PostgreSQL ({error.orig}). "
            "Start the server or unset the variable to test on SQLite.",
            returncode=2,
        )


def _base_config(database_url: str, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_METHOD": TEST_PASSWORD_METHOD,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "CONTENT_AUTO_RELOAD": False,
        "MODULES_DIR": ROOT / "modules",
        "SERVER_NAME": None,
        # Development mail goes to files; never into the project's instance/.
        "MAIL_DIR": Path(tempfile.mkdtemp(prefix="kaptrain-test-mail-")),
    }
    config.update(extra)
    return config


class ClosingClient(FlaskClient):
    """A test client that reads and closes every response, as a WSGI server
    does: work a view defers until its answer is sent (``call_on_close``, used
    where the answer must not depend on an address) runs before the call
    returns."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


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
def app(
    tmp_path: Path, _pg_schema: None, app_config: dict[str, Any]
) -> Iterator[Flask]:
    """The application with a fresh, empty database."""
    url = PG_URL or f"sqlite:///{tmp_path / 'test.db'}"
    config = {"MAIL_DIR": tmp_path / "mail", **app_config}
    application = create_app(_base_config(url, **config))
    application.test_client_class = ClosingClient
    with application.app_context():
        if PG_URL:
            _truncate_all()
        else:
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
            from kaptrain.passwords import hash_password

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
        from kaptrain.accounts import new_invite_code

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
    from kaptrain.auth.devices import device_cookie

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


def csrf_token_from(html: str) -> str:
    """The CSRF token in a rendered form (for tests that enable CSRF)."""
    match = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    ) or re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def pg_admin_engine():  # type: ignore[no-untyped-def]
    """An autocommit engine on the PostgreSQL server's maintenance database."""
    assert PG_URL
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A gunicorn with two workers on loopback, a fresh migrated database and the
    demo accounts (password ``live_server.DEMO_PASSWORD``); one per test module."""
    from tests.live_server import start_live_server

    with start_live_server(tmp_path_factory.mktemp("live")) as server:
        yield server
