"""The sections a report can hold: the dashboard widgets themselves.

A definition stores widget keys; each section is that widget's ``Table`` computed for one
recipient's Scope, so a report shows exactly the figures the recipient's dashboard shows (one
computation per figure). ``section_registry()`` lists them in the dashboards' order.

Money columns appear only for a recipient who may see financials: the widgets leave them out
otherwise, and count only what the recipient may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reporting.widgets.base import Scope, Table
from reporting.widgets.registry import WIDGETS

# Keys that sections had before they became the widgets, and the widget that replaces each.
RENAMED: dict[str, str] = {
    "value_by_stage": "doi_funnel",
    "open_exceptions_by_forum": "exceptions_by_forum",
    "approvals_pending_by_age": "approvals_by_age",
}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    build: Callable[[Scope], Table]


def section_registry() -> dict[str, Section]:
    """Every section a definition may name, by key: one per dashboard widget, in order."""
    return {
        key: Section(key=key, title=widget.title, build=widget.compute)
        for key, widget in WIDGETS.items()
    }


class UnknownSection(LookupError):
    """A definition names a section that no longer exists."""


def section_table(key: str, scope: Scope) -> Table:
    """The table of section ``key`` for ``scope``."""
    found = section_registry().get(key)
    if found is None:
        raise UnknownSection(f"The section {key!r} does not exist (any more).")
    return found.build(scope)


def section_choices() -> list[tuple[str, str]]:
    """(key, title) of every section, for forms."""
    return [(key, entry.title) for key, entry in section_registry().items()]
