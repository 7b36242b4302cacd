"""Fixtures shared by the whole suite: personas, API clients, a live Celery worker, a browser."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.personas import Personas, make_personas
from tests.services import require_service
from tests.webhooks import eager_tasks, receiver  # noqa: F401 (fixtures)

# Logs, screenshots and other files a person may want to look at after a run.
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_configure(config: pytest.Config) -> None:
    # Hashing passwords slowly protects real users, not test fixtures.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The day this process started: modules that took ``TODAY`` from the clock at import hold it.
STARTED_ON = timezone.localdate()


@pytest.fixture(autouse=True)
def _today_follows_the_clock(request: pytest.FixtureRequest) -> None:
    """A run that crosses midnight must not compare yesterday's ``TODAY`` (taken at import) with
    the services' today: modules whose ``TODAY`` came from the clock get the date again, with
    the months derived from it (fixed dates, such as a test's 2026-06-15, are left alone)."""
    module = request.module
    today = timezone.localdate()
    if getattr(module, "TODAY", None) != STARTED_ON or today == STARTED_ON:
        return
    module.TODAY = today
    if hasattr(module, "MONTH"):
        module.MONTH = today.replace(day=1)
    if hasattr(module, "LAST_MONTH"):
        module.LAST_MONTH = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


@pytest.fixture
def personas(db: None) -> Personas:
    return make_personas()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(api: APIClient):
    """``api_as(user)``: the API client logged in (session) as ``user``."""

    def login(user: object) -> APIClient:
        api.force_authenticate(user=None)
        api.force_login(user)  # type: ignore[arg-type]
        return api

    return login


@pytest.fixture(scope="session")
def postgres() -> None:
    require_service("postgres")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    require_service("chromium")
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


# Settings of the session's live worker that differ from the defaults.
LIVE_WORKER_SETTINGS = {
    # A failed report run is retried after 1 s and 4 s instead of 3 s and 12 s: still through
    # Celery's delayed (ETA) messages, as in production, without waiting out the real backoff.
    "REPORT_RETRY_BASE_SECONDS": "1",
}


@pytest.fixture(scope="session")
def live_worker_process(django_db_setup: None, django_db_blocker: object):
    """A live worker process on the test Redis database, started once for the session."""
    from tests.worker import start_worker, stop_worker, use_broker

    require_service("redis")
    redis_url = os.environ["TEST_REDIS_URL"]
    # The tests' own Redis database starts empty: a message an earlier run left behind (a
    # task a killed worker never acknowledged comes back later) would reach this run's workers.
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with contextlib.contextmanager(use_broker)(redis_url):
        worker = start_worker(redis_url, ARTIFACTS, environment=LIVE_WORKER_SETTINGS)
    yield worker
    stop_worker(worker)


@pytest.fixture
def celery_worker(live_worker_process: Any):
    """Tasks of this test go through Redis to the live worker. Only for this test: the others
    stay eager, so no task of theirs runs in the worker while their data is being flushed."""
    from tests.worker import use_broker, wait_until_idle

    with contextlib.contextmanager(use_broker)(os.environ["TEST_REDIS_URL"]):
        yield live_worker_process
        # What the test set off finishes before its data is flushed.
        wait_until_idle(os.environ["TEST_REDIS_URL"], live_worker_process)
