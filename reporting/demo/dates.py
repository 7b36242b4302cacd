"""Where seeded dates fall: the current and the next fiscal year of the organization."""

from __future__ import annotations

import datetime as dt


def fiscal_year_start(today: dt.date, start_month: int) -> dt.date:
    """First day of the fiscal year ``today`` falls in."""
    year = today.year if today.month >= start_month else today.year - 1
    return dt.date(year, start_month, 1)


def planning_horizon(today: dt.date, start_month: int) -> tuple[dt.date, dt.date]:
    """Start of the current fiscal year and end of the next one: where demo dates fall."""
    start = fiscal_year_start(today, start_month)
    return start, start.replace(year=start.year + 2) - dt.timedelta(days=1)
