"""Shared pieces of the benchmarks: the machine, databases, a gunicorn server,
sign-in, and a small bounded HTTP load driver.

Everything runs on 127.0.0.1, every loop is bounded in count and time, and every
process started here is stopped by the context manager that started it.
"""

from __future__ import annotations

import asyncio
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
PASSWORD = "quiet-harbour-lantern-47"
SECRET = "bench-secret-key-0123456789abcdef0123456789"
# A cheaper scrypt than production (N=2^17), as the live-server tests use: the
# benchmarks measure pages, not password hashing (reported on its own).
PASSWORD_METHOD = "scrypt:16384:8:1"
PG_URL = os.environ.get(
    "KAPTRAIN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- the machine ---------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    memory_kb = 0
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version(),
    }


def pg_version() -> str:
    try:
        engine = pg_engine("postgres")
        with engine.connect() as conn:
            from sqlalchemy import text

            version = conn.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
        return str(version)
    except Exception as error:  # noqa: BLE001 - reported, not fatal
        return f"unavailable ({type(error).__name__})"


def pg_available() -> bool:
    return not pg_version().startswith("unavailable")


# -- databases ---------------------------------------------------------------


def pg_engine(database: str, **kwargs: Any) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    return create_engine(make_url(PG_URL).set(database=database), **kwargs)


def pg_url(database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_URL).set(database=database).render_as_string(False)


@contextmanager
def pg_database(tag: str) -> Iterator[str]:
    """A new PostgreSQL database ``kaptrain_bench_<tag>_<random>``, dropped after."""
    from sqlalchemy import text

    name = f"kaptrain_bench_{tag}_{uuid.uuid4().hex[:8]}"
    admin = pg_engine("postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database(kind: str, tmp: Path, tag: str) -> Iterator[str]:
    """A fresh empty database URL: ``sqlite`` (a file in ``tmp``) or ``postgresql``."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'{tag}.db'}"
    else:
        with pg_database(tag) as url:
            yield url


def base_env(database_url: str, instance: Path, modules_dir: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAPTRAIN_")}
    env.update(
        {
            "KAPTRAIN_DATABASE_URL": database_url,
            "KAPTRAIN_INSTANCE_DIR": str(instance),
            "KAPTRAIN_SECRET_KEY": SECRET,
            "KAPTRAIN_DEMO_PASSWORD": PASSWORD,
            "KAPTRAIN_PASSWORD_METHOD": PASSWORD_METHOD,
            "KAPTRAIN_CONTENT_AUTO_RELOAD": "false",
            # Benchmark trainees complete a lesson milliseconds after opening
            # it; the time-on-task rule would refuse every completion. Off, a
            # completion skips one indexed SELECT (learning/time_on_task.py).
            "KAPTRAIN_MIN_TIME_SHARE": "0",
            "KAPTRAIN_MODULES_DIR": str(modules_dir or ROOT / "modules"),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def flask(env: dict, *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "kaptrain", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


# -- a gunicorn server ---------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    host: str
    port: int
    env: dict
    process: subprocess.Popen
    log_path: Path
    extra: dict = field(default_factory=dict)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(pid) for pid in out.split()]


def close_app(app: Any) -> None:
    """Stop an in-process app's mail courier and close its connections, before
    its database is dropped (the courier would keep polling a missing one)."""
    from kaptrain.extensions import db
    from kaptrain.platform.mail import stop_delivery

    stop_delivery(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def prepare_database(env: dict, demo: bool = True) -> None:
    """Migrate, then publish the modules folder: ``flask demo`` imports it on
    first run; without the demo, ``content import`` does (hosts serve the
    published revisions, ``KAPTRAIN_CONTENT_SOURCE=database``)."""
    flask(env, "db", "upgrade")
    if demo:
        flask(env, "demo")
    else:
        flask(env, "content", "import")


@contextmanager
def gunicorn(
    env: dict,
    workers: int = 2,
    app: str = "kaptrain.wsgi:app",
    log_dir: Path | None = None,
) -> Iterator[Server]:
    """gunicorn with ``workers`` sync workers on a free loopback port."""
    port = free_port()
    log_path = (log_dir or Path(env["KAPTRAIN_INSTANCE_DIR"])) / f"gunicorn-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            app,
        ],
        env=env,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(
        f"http://127.0.0.1:{port}", "127.0.0.1", port, env, process, log_path
    )
    try:
        _wait_healthy(server)
        yield server
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        handle.close()


def _wait_healthy(server: Server, timeout: float = 120.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited:\n{server.log_path.read_text()[-3000:]}"
            )
        try:
            if requests.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                # Every worker must be up before load starts.
                if len(server.worker_pids()) >= 1:
                    return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not become healthy:\n{server.log_path}")


_TOKEN = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1) or match.group(2)


def login(url: str, email: str, password: str = PASSWORD) -> Any:
    """A requests session signed in through the real form."""
    import requests

    http = requests.Session()
    page = http.get(f"{url}/login", timeout=30)
    response = http.post(
        f"{url}/login",
        data={
            "csrf_token": csrf_token(page.text),
            "email": email,
            "password": password,
        },
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {email} failed: {response.status_code}")
    return http


def cookie_header(http: Any) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


# -- a bounded load driver -----------------------------------------------------


@dataclass
class LoadResult:
    path: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    bytes: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(0.50), 2),
            "p95_ms": round(self.percentile(0.95), 2),
            "bytes": self.bytes,
        }


async def _one(host: str, port: int, request: bytes) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        data = await reader.read()  # gunicorn sync workers close after each response
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, len(body)


async def _drive(
    host: str,
    port: int,
    request: bytes,
    concurrency: int,
    seconds: float,
    max_requests: int,
) -> tuple[int, int, float, list[float], int]:
    done = errors = size = 0
    latencies: list[float] = []
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        nonlocal done, errors, size
        while time.perf_counter() < deadline and done + errors < max_requests:
            began = time.perf_counter()
            try:
                status, length = await asyncio.wait_for(_one(host, port, request), 30)
            except (OSError, asyncio.TimeoutError, ValueError, IndexError):
                errors += 1
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            if status == 200:
                done += 1
                size = length
            else:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, errors, time.perf_counter() - start, latencies, size


def hammer(
    url: str,
    path: str,
    cookies: str = "",
    *,
    seconds: float = 6.0,
    concurrency: int = 8,
    max_requests: int = 200_000,
    warmup: float = 1.0,
) -> LoadResult:
    """GET ``path`` as fast as the server answers, for ``seconds``, on fresh
    connections (gunicorn's sync workers close each one); non-200 is an error."""
    host, port = url.removeprefix("http://").split(":")
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "User-Agent: kaptrain-bench",
        "Accept: text/html",
        "Connection: close",
    ]
    if cookies:
        lines.append(f"Cookie: {cookies}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    if warmup:
        asyncio.run(_drive(host, int(port), request, concurrency, warmup, 10_000))
    done, errors, elapsed, latencies, size = asyncio.run(
        _drive(host, int(port), request, concurrency, seconds, max_requests)
    )
    return LoadResult(path, done, errors, elapsed, latencies, size)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
