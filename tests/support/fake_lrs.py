"""A tiny LRS stand-in on loopback for fault tests: it answers what the test
says (500 for a while, 400 for one statement, 409) and records what it stored."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Given the posted statements, the status to answer (None: store and 200).
Rule = Callable[[list[dict[str, Any]]], int | None]


class FakeLRS:
    """``with FakeLRS() as lrs:``; ``lrs.endpoint``, ``lrs.stored``, ``lrs.rule``."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[str, Any]] = {}
        self.received: list[str] = []  # every id in every accepted POST
        self.posts = 0
        self.auth: list[str | None] = []
        self.rule: Rule = lambda statements: None
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                statements = json.loads(self.rfile.read(length))
                with fake.lock:
                    fake.posts += 1
                    fake.auth.append(self.headers.get("Authorization"))
                    status = fake.rule(statements)
                    if status is None:
                        known = [s["id"] for s in statements if s["id"] in fake.stored]
                        for s in statements:
                            fake.stored.setdefault(s["id"], s)
                            fake.received.append(s["id"])
                        status = 204 if not known else 409
                body = json.dumps({"message": f"fake LRS says {status}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/xAPI/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLRS:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
