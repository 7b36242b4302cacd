"""A real Celery worker process for the tests that need one.

The worker consumes from the test Redis database and connects to the test database, so a task
it runs sees what a ``transactional_db`` test committed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LiveWorker:
    hostname: str
    process: subprocess.Popen
    log_path: Path


def database_url_of_test_db() -> str:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def start_worker(
    redis_url: str,
    log_dir: Path,
    *,
    queues: str = "",
    name: str = "celery-worker",
    environment: dict[str, str] | None = None,
) -> LiveWorker:
    """A worker process; ``queues`` (comma-separated) limits what it consumes, ``environment``
    adds settings of its own (read by ``config.settings`` when the worker starts)."""
    hostname = f"throughline-test-{uuid.uuid4().hex[:6]}@localhost"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": database_url_of_test_db(),
        # Webhook tests receive on 127.0.0.1.
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        **(environment or {}),
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "-n",
                hostname,
                "--loglevel=INFO",
                *(["-Q", queues] if queues else []),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"The Celery worker exited: {log_path.read_text()[-2000:]}")
        if app.control.ping(destination=[hostname], timeout=1.0):
            return LiveWorker(hostname=hostname, process=process, log_path=log_path)
    process.kill()
    raise RuntimeError(f"The Celery worker did not answer within 60 s: {log_path}")


def wait_until_idle(redis_url: str, worker: LiveWorker, timeout: float = 60.0) -> None:
    """Return once no task waits in the queue and the worker is between tasks.

    A task a test set off (a notification e-mail after commit, a recompute a write marked) may
    still be running when the test's own assertions pass; flushing the database under it
    deadlocks. The worker runs the solo pool, so it answers a ping only between tasks.
    """
    import redis

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        idle = not client.llen("celery") and app.control.ping(
            destination=[worker.hostname], timeout=0.5
        )
        quiet = quiet + 1 if idle else 0
        if quiet >= 3:  # idle three times in a row: not between two tasks of a chain
            return
        time.sleep(0.1)
    raise RuntimeError(f"The Celery worker was still busy after {timeout:.0f} s.")


def stop_worker(worker: LiveWorker) -> None:
    worker.process.terminate()
    try:
        worker.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.process.kill()


def use_broker(redis_url: str) -> Iterator[None]:
    """Point this process's Celery app at the test broker, not eager, for the duration."""
    previous = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    _forget_result_backend()
    _forget_connections()
    try:
        yield
    finally:
        app.conf.update(previous)
        _forget_result_backend()
        _forget_connections()


def _forget_result_backend() -> None:
    # The app keeps the result backend it first made (per thread); an eager task run earlier
    # in the session would otherwise leave the one for "no result backend" in place.
    app._backend_cache = None
    vars(app._local).pop("backend", None)


def _forget_connections() -> None:
    # Even an eager ``delay()`` takes a producer from the app's pool, which keeps the broker URL
    # of its first use: one sent earlier in the session would point the pool elsewhere.
    app._pool = None
    amqp = vars(app).get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
