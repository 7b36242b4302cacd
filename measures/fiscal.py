"""The fiscal calendar of an organization: months, fiscal years and the range series may use."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

# Series may reach this many fiscal years before the current one and after it.
YEARS_BACK = 5
YEARS_FORWARD = 5


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_year_start(day: dt.date, start_month: int) -> dt.date:
    """First day of the fiscal year that contains ``day``."""
    year = day.year if day.month >= start_month else day.year - 1
    return dt.date(year, start_month, 1)


def fiscal_year_label(start: dt.date) -> str:
    """``FY2025`` for a year starting in January 2025, ``FY2025/26`` for one starting in April."""
    if start.month == 1:
        return f"FY{start.year}"
    return f"FY{start.year}/{(start.year + 1) % 100:02d}"


def fiscal_months(start: dt.date) -> list[dt.date]:
    return [add_months(start, offset) for offset in range(12)]


def fiscal_range(start_month: int, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """``(first month, last month)`` a series may hold: five fiscal years back and forward."""
    current = fiscal_year_start(today or timezone.localdate(), start_month)
    first = add_months(current, -12 * YEARS_BACK)
    last = add_months(current, 12 * (YEARS_FORWARD + 1) - 1)
    return first, last
