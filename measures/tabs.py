"""The tabs of a measure's pages: each concern registers its page here, where it lives.

    tab("milestones", "Milestones", "measure-milestones")

The measure page and every concern's page render ``{% measure_tabs measure "milestones" %}``,
which links each registered tab in the order of ``ORDER`` (tabs it does not name come last, in
order of registration).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url_name: str


TABS: list[Tab] = []

# The order an owner works through a measure: what it is, its value, its plan, then its status.
ORDER: tuple[str, ...] = (
    "overview",
    "financials",
    "milestones",
    "kpis",
    "risks",
    "dependencies",
    "capacity",
    "status",
    "history",
)


def ordered() -> list[Tab]:
    position = {key: index for index, key in enumerate(ORDER)}
    return sorted(TABS, key=lambda item: position.get(item.key, len(ORDER)))


def tab(key: str, label: str, url_name: str) -> None:
    """Register a tab once (re-registering the same key replaces it in place)."""
    for index, existing in enumerate(TABS):
        if existing.key == key:
            TABS[index] = Tab(key, label, url_name)
            return
    TABS.append(Tab(key, label, url_name))


tab("overview", "Overview", "measure-detail")
tab("financials", "Financials", "measure-financials")
tab("history", "History", "measure-history")
