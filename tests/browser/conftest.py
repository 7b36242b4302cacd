"""Browser tests: Playwright drives the system Chromium against Django's live server."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import ARTIFACTS

BLOCKING_IMPACTS = {"serious", "critical"}


def assert_accessible(page: Any) -> None:
    """axe-core finds no serious or critical violation on the page as it is now.

    Colours are judged as they settle: a button just clicked is still fading between its
    states (Bootstrap's transitions), and a contrast read mid-fade fails at random. So the
    pointer leaves, transitions are switched off, and the page gets one frame to repaint."""
    page.mouse.move(0, 0)
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; }")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => done()))")
    results = Axe().run(page)
    blocking = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert not blocking, "\n".join(blocking)


def log_in(page: Any, live_server: Any, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def screenshot(page: Any):
    """``screenshot(name)`` saves the page to test-artifacts/ for a person to look at."""

    def take(name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take
