"""The tabs of a measure's pages: each concern registers its page here, where it lives.

    tab("milestones", "Milestones", "measure-milestones")

The measure page and every concern's page render ``{% measure_tabs measure "milestones" %}``,
which links each registered tab in order of registration (Overview and Financials first).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str


TABS: list[Tab] = []


def tab(key: str, label: str, url_name: str) -> None:
    """Register a tab once (re-registering the same key replaces it in place)."""
    for index, existing in enumerate(TABS):
        if existing.key == key:
            TABS[index] = Tab(key, label, url_name)
            return
    TABS.append(Tab(key, label, url_name))


tab("overview", "Overview", "measure-detail")
tab("financials", "Financials", "measure-financials")
