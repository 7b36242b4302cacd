"""Which real services the suite has, and what happens when one is missing.

``tests/preflight.py`` probes PostgreSQL, Redis and Chromium before pytest starts and records
what it found in THROUGHLINE_TEST_SERVICES. A test that needs a service calls
``require_service``: outside CI a missing service skips the test with a reason; under CI=true it
fails, because CI must exercise every real component.
"""

from __future__ import annotations

import os

import pytest


def available_services() -> set[str]:
    return set(filter(None, os.environ.get("THROUGHLINE_TEST_SERVICES", "").split(",")))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_service(name: str) -> None:
    if name in available_services():
        return
    message = f"{name} is not available (see tests/preflight.py)"
    if in_ci():
        pytest.fail(f"CI requires {name}: {message}", pytrace=False)
    pytest.skip(message)
