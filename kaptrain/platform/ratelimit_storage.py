"""Rate-limit counters that every worker of one host shares, without Redis.

Flask-Limiter's ``memory://`` storage counts in each worker process, so with
two gunicorn workers "10 per 5 minutes" let 20 guesses through. The ``limits``
library (5.x) ships storages for memory, Redis, Memcached and MongoDB only, no
file or SQL one; this module adds one through the library's own registry (a
``Storage`` subclass with ``STORAGE_SCHEME`` is registered by its metaclass),
so ``storage_from_string("kaptrain+sqlite:///path/ratelimits.db")`` and thus
``RATELIMIT_STORAGE_URI`` pick it up like any built-in one.

The counters live in their own small SQLite file in the instance folder, not in
the application's database: a request that may write holds the application
database's write lock (``BEGIN IMMEDIATE`` on SQLite) from its first query to
its commit, and Flask-Limiter counts a failed sign-in after the view, so a
counter in the same database would wait for its own request's lock. A separate
file never does, and PostgreSQL deployments need no extra table or migration.
Each increment is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
statement, atomic across processes. Keys are stored as SHA-256 digests, so the
file holds no email address. For several hosts, use Redis (``KAPTRAIN_REDIS_URL``).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path

from limits.storage import Storage

SCHEME = "kaptrain+sqlite"
BUSY_TIMEOUT_MS = 5_000
#: Expired counters are deleted after this many increments by one process.
TIDY_EVERY = 500

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters ("
    " key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL"
    ") WITHOUT ROWID"
)
_INCR = (
    "INSERT INTO counters (key, count, expires) VALUES (?1, ?2, ?3 + ?4) "
    "ON CONFLICT (key) DO UPDATE SET "
    " count = CASE WHEN counters.expires <= ?3 THEN excluded.count"
    "         ELSE counters.count + excluded.count END,"
    " expires = CASE WHEN counters.expires <= ?3 THEN excluded.expires"
    "           ELSE counters.expires END "
    "RETURNING count"
)


def storage_uri(path: Path) -> str:
    """The ``RATELIMIT_STORAGE_URI`` for a counter file at ``path``."""
    return f"{SCHEME}://{urllib.parse.quote(str(Path(path).resolve()))}"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class SQLiteRateLimitStorage(Storage):
    """Fixed-window counters in a SQLite file shared by the host's workers."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **_: object
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        parsed = urllib.parse.urlparse(uri or "")
        path = urllib.parse.unquote(parsed.netloc + parsed.path)
        if not path:
            raise ValueError(f"{SCHEME}:// needs a file path, e.g. {SCHEME}:///x.db")
        self.path = Path(path)
        self._local = threading.local()
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process: a forked gunicorn worker must
        # not reuse its parent's.
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created 0600: the file says who was limited, if only by digest.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=5
        )
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(_SCHEMA)
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._connection()
        (count,) = conn.execute(_INCR, (_digest(key), amount, now, expiry)).fetchone()
        self._increments += 1
        if self._increments % TIDY_EVERY == 0:
            conn.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return int(count)

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute(
                "SELECT count FROM counters WHERE key = ? AND expires > ?",
                (_digest(key), time.time()),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute(
                "SELECT expires FROM counters WHERE key = ? AND expires > ?",
                (_digest(key), now),
            )
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute(
            "DELETE FROM counters WHERE key = ?", (_digest(key),)
        )
