"""A real ralph LRS (ralph's own API app, fs backend) on loopback for one test.

Credentials come from ``ralph auth -w`` into a private auth file; statements go
to a file store under the test's temporary folder.

Why not plain ``ralph runserver -b fs``: in ralph-malph 5.1.0 the fs LRS backend
writes with operation CREATE, which refuses an existing file, so every POST after
the first that carries a new statement fails with 500 ("Statements bulk
indexation failed"). :data:`LAUNCHER` starts the same app (``ralph.api:app``,
as runserver does, with the same settings) after switching that one backend to
APPEND; everything else (validation, duplicate ids, queries) is ralph's.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.xapi import BASE_URL, ralph_command

LAUNCHER = """
import sys
import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend
FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
"""
USERNAME = "kaptrain"
PASSWORD = "lrs-password-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RalphLRS:
    """``lrs = RalphLRS(tmp_path); lrs.start(); ...; lrs.stop()``."""

    def __init__(self, folder: Path) -> None:
        self.ralph = ralph_command()
        self.folder = folder
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/xAPI/"
        self.process: subprocess.Popen[bytes] | None = None
        (folder / "app").mkdir(parents=True, exist_ok=True)
        (folder / "store").mkdir(exist_ok=True)
        self.env = {
            **os.environ,
            "RALPH_APP_DIR": str(folder / "app"),
            "RALPH_AUTH_FILE": str(folder / "app" / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder / "store"),
        }
        subprocess.run(
            [
                str(self.ralph),
                "auth",
                "-u",
                USERNAME,
                "-p",
                PASSWORD,
                "-s",
                "all",
                "-A",
                USERNAME,
                BASE_URL,
                "-w",
            ],
            env=self.env,
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        """Start the server and wait until it answers."""
        if self.process is not None and self.process.poll() is None:
            return  # already running
        log = (self.folder / "ralph.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, str(self.port)],
            env=self.env,
            cwd=self.folder,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.get("whoami")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"ralph did not start: {(self.folder / 'ralph.log').read_text()}"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def get(self, path: str) -> Any:
        pair = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - loopback test server
            f"http://127.0.0.1:{self.port}/{path}",
            headers={
                "Authorization": f"Basic {pair}",
                "X-Experience-API-Version": "1.0.3",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            return json.loads(reply.read())

    def statements(self) -> list[dict[str, Any]]:
        """Every statement the LRS holds (following ``more`` links)."""
        found: list[dict[str, Any]] = []
        page = self.get("xAPI/statements?limit=100")
        while True:
            found.extend(page["statements"])
            more = page.get("more")
            if not more:
                return found
            page = self.get(more.lstrip("/"))
