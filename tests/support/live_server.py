"""A real gunicorn on loopback with a fresh, migrated database, for tests that need
a server: concurrency and fault tests, and the browser tests.

Use the ``live_server`` fixture (registered in conftest.py) or start one directly
with :func:`start_live_server` when a test needs its own (e.g. to kill workers).
The database is a new SQLite file, or, when ``KAPTRAIN_TEST_DATABASE_URL`` is set,
a new PostgreSQL database created beside it and dropped afterwards.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "quiet-harbour-lantern-47"
#: The demo staff accounts' authenticator key (flask demo enrols them with it).
DEMO_TOTP_SECRET = "KAPTRAINLIVETESTSECRET234567ABCD"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    instance_dir: Path
    database_url: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``flask --app kaptrain ARGS`` against this server's database."""
        return subprocess.run(
            [str(BIN / "flask"), "--app", "kaptrain", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def session(self) -> requests.Session:
        return requests.Session()

    def login(self, email: str, password: str = DEMO_PASSWORD) -> requests.Session:
        """A requests session signed in through the real form (CSRF included);
        staff pass the second step with a code from the demo key."""
        import re
        from urllib.parse import urljoin, urlsplit

        from tests.support.mfa import CODES

        http = requests.Session()
        page = http.get(f"{self.url}/login", timeout=30)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        response = http.post(
            f"{self.url}/login",
            data={"csrf_token": token.group(1), "email": email, "password": password},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, f"login failed: {response.status_code}"
        location = urljoin(self.url, response.headers["Location"])
        if urlsplit(location).path == "/login/mfa":
            code = CODES.next(DEMO_TOTP_SECRET, f"{self.url}|{email}")
            response = http.post(
                location,
                data={"csrf_token": token.group(1), "code": code},
                allow_redirects=False,
                timeout=30,
            )
            assert response.status_code == 302, "the second sign-in step failed"
        return http

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(pid) for pid in out.split()]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""


#: Migrated (and seeded) SQLite databases made once per test process, by what
#: made them: each later server on SQLite starts from a copy of the file instead
#: of running ``flask db upgrade`` and ``flask demo`` (two Python processes).
_TEMPLATES: dict[tuple[str, ...], Path] = {}


#: Settings that name this server's own files, not what its database holds.
_OWN_PATHS = {
    "KAPTRAIN_DATABASE_URL",
    "KAPTRAIN_INSTANCE_DIR",
    "KAPTRAIN_TEST_DATABASE_URL",
}


def _template_key(env: dict[str, str], demo: bool) -> tuple[str, ...]:
    """Every setting that can change what ``db upgrade`` and ``demo`` write (the
    content source decides whether the demo publishes modules/, for example)."""
    return (str(demo),) + tuple(
        f"{name}={value}"
        for name, value in sorted(env.items())
        if name.startswith("KAPTRAIN_") and name not in _OWN_PATHS
    )


def _prepare_sqlite(server: LiveServer, demo: bool) -> None:
    """Migrate and seed ``server``'s SQLite file, from a copy when one was made."""
    key = _template_key(server.env, demo)
    target = Path(make_url(server.database_url).database or "")
    template = _TEMPLATES.get(key)
    if template is None:
        server.flask("db", "upgrade")
        if demo:
            server.flask("demo")
        folder = Path(tempfile.mkdtemp(prefix="kaptrain-live-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "live.db"
        _copy_sqlite(target, template)
        _copy_signing_key(server.instance_dir, folder)
        _TEMPLATES[key] = template
    else:
        _copy_sqlite(template, target)
        _copy_signing_key(template.parent, server.instance_dir)


def _copy_signing_key(source_dir: Path, target_dir: Path) -> None:
    """The demo's credential signing key lives beside the database, in the
    instance folder (never in the database): a copied database needs it too."""
    key = source_dir / "signing_key.pem"
    if key.exists():
        target_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(key, target_dir / "signing_key.pem")


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a closed SQLite database with its write-ahead log, if one is left."""
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))


def _fresh_database(base_dir: Path) -> tuple[str, str | None]:
    """(url, pg database name to drop afterwards or None)."""
    pg = os.environ.get("KAPTRAIN_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{base_dir / 'live.db'}", None
    url = make_url(pg)
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    name = f"kaptrain_live_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_database(name: str) -> None:
    url = make_url(os.environ["KAPTRAIN_TEST_DATABASE_URL"])
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def start_live_server(
    base_dir: Path,
    *,
    workers: int = 2,
    modules_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    demo: bool = True,
    database_url: str | None = None,
) -> Iterator[LiveServer]:
    """Migrate a fresh database, seed the demo, run gunicorn; clean up after.

    ``database_url`` runs this server on another server's database (a second
    host): it is neither created nor dropped here."""
    base_dir.mkdir(parents=True, exist_ok=True)
    pg_name = None
    own_sqlite = False  # a fresh SQLite file of this server's own
    if database_url is None:
        database_url, pg_name = _fresh_database(base_dir)
        own_sqlite = pg_name is None
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KAPTRAIN_") or key == "KAPTRAIN_TEST_DATABASE_URL"
    }
    env.update(
        {
            "KAPTRAIN_DATABASE_URL": database_url,
            "KAPTRAIN_INSTANCE_DIR": str(base_dir / "instance"),
            "KAPTRAIN_SECRET_KEY": "live-server-secret-key-0123456789abcdef",
            "KAPTRAIN_DEMO_PASSWORD": DEMO_PASSWORD,
            "KAPTRAIN_DEMO_TOTP_SECRET": DEMO_TOTP_SECRET,
            "KAPTRAIN_PASSWORD_METHOD": "scrypt:16384:8:1",
            "KAPTRAIN_CONTENT_AUTO_RELOAD": "false",
            # Journeys walk modules in seconds; time on task has its own tests.
            "KAPTRAIN_MIN_TIME_SHARE": "0",
            "KAPTRAIN_MODULES_DIR": str(modules_dir or ROOT / "modules"),
            # Serve the folder as before; the two-host test passes "database".
            "KAPTRAIN_CONTENT_SOURCE": "folder",
        }
    )
    env.update(extra_env or {})
    server = LiveServer(
        url=f"http://127.0.0.1:{port}",
        env=env,
        instance_dir=base_dir / "instance",
        database_url=database_url,
        log_path=base_dir / "gunicorn.log",
    )
    try:
        if own_sqlite:
            _prepare_sqlite(server, demo)
        else:
            server.flask("db", "upgrade")
            if demo:
                server.flask("demo")
        log = open(server.log_path, "wb")  # noqa: SIM115 - closed below
        server.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--pid",
                str(base_dir / "gunicorn.pid"),
                "kaptrain.wsgi:app",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_healthy(server)
        yield server
    finally:
        if server.process is not None:
            try:
                os.killpg(server.process.pid, signal.SIGTERM)
                server.process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(server.process.pid, signal.SIGKILL)
        if pg_name:
            _drop_database(pg_name)


def _wait_healthy(server: LiveServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process and server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log()}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become healthy:\n{server.log()}")
