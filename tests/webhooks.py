"""Fixtures of the webhook tests (registered in tests/conftest.py).

``receiver``: a real HTTP server on 127.0.0.1 that webhooks are sent to; it records every request
and answers with the status codes it is told, in order (then 200). ``eager_tasks``: tasks run
in the test process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A local receiver; private networks are allowed so webhooks may reach 127.0.0.1."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = state.statuses.pop(0) if state.statuses else 200
            answer = b'{"ok": true}' if status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/throughline"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def eager_tasks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in this process, even after a live worker (session-wide) took the broker over:
    a worker could not see this test's uncommitted rows. Tests marked ``worker`` are left to it."""
    from config.celery import app

    if request.node.get_closest_marker("worker") is not None:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous
