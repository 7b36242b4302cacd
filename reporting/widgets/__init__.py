"""The figures of the dashboards and of the leadership reports, one selector per widget.

Every widget takes a ``Scope`` (who is looking, at what part of the organization, for which
months) and returns a ``Table``: the dashboard draws its chart and table alternative from it,
the CSV download writes it, and the reports render the same table into PDF, XLSX and CSV. One
computation per figure, whatever shows it.
"""

from reporting.widgets.base import Chart, Column, Filters, Scope, Table

__all__ = ["Chart", "Column", "Filters", "Scope", "Table"]
