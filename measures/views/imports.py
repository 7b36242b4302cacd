"""Importing measures, and their monthly financials, from a spreadsheet: upload, check (dry
run), then import for real."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from governance.access import can_add
from governance.views.base import OrgMixin
from measures.financial_imports import COLUMNS as FINANCIAL_COLUMNS
from measures.financial_imports import import_financials
from measures.forms import ImportForm
from measures.imports import ImportFileError, import_measures, read_table
from measures.models import Measure

# A checked file waits this long for the "import now" click.
PENDING_SECONDS = 30 * 60
COLUMNS = (
    ("code", "required; an existing code updates that measure"),
    ("package", "the package's code; required for a new measure"),
    ("title", "required for a new measure"),
    ("owner, sponsor, controller", "username or e-mail of a member"),
    ("function, business_unit", "code"),
    ("start_date, end_date", "YYYY-MM-DD or a date cell"),
    ("target_value, budget", "amounts, if your role may set them"),
    ("description and the measure's other fields", "as on the form, named like its labels"),
)


class MeasureImportView(OrgMixin, View):
    template_name = "measures/imports/measures.html"
    kind = "measures"
    columns: tuple[tuple[str, str], ...] = COLUMNS

    def run_import(self, rows: list[Any], dry_run: bool) -> Any:
        return import_measures(
            organization=self.organization, by=self.request.user, rows=rows, dry_run=dry_run
        )

    def _allowed(self) -> None:
        if not can_add(self.request.user, Measure, self.organization):
            raise PermissionDenied

    def _pending_key(self, token: str) -> str:
        return f"import:{self.kind}:{self.organization.pk}:{self.request.user.pk}:{token}"

    def _page(self, form: ImportForm, status: int = 200, **context: Any) -> HttpResponse:
        return render(
            self.request,
            self.template_name,
            {"form": form, "columns": self.columns, **context},
            status=status,
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self._allowed()
        return self._page(ImportForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self._allowed()
        token = request.POST.get("token", "")
        if token:
            return self._import_pending(token)
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._page(form, status=422)
        upload = form.cleaned_data["file"]
        name, content = upload.name, upload.read()
        dry_run = form.cleaned_data["dry_run"]
        try:
            rows = read_table(name, content)
        except ImportFileError as error:
            form.add_error("file", str(error))
            return self._page(form, status=422)
        result = self.run_import(rows, dry_run)
        if not result.ok:
            return self._page(form, status=422, result=result, file_name=name)
        if result.written:
            return self._done(result)
        token = uuid.uuid4().hex
        cache.set(self._pending_key(token), (name, content), PENDING_SECONDS)
        return self._page(form, result=result, file_name=name, token=token)

    def _import_pending(self, token: str) -> HttpResponse:
        pending = cache.get(self._pending_key(token))
        if pending is None:
            form = ImportForm()
            form.add_error(None, "That check has expired: upload the file again.")
            return self._page(form, status=422)
        name, content = pending
        result = self.run_import(read_table(name, content), dry_run=False)
        cache.delete(self._pending_key(token))
        if not result.ok:
            # Something changed since the check (a code taken, a package archived): say what.
            return self._page(ImportForm(), status=422, result=result, file_name=name)
        return self._done(result)

    def _done(self, result: Any) -> HttpResponse:
        messages.success(
            self.request,
            f"Imported {len(result.created)} new and {len(result.updated)} updated measures.",
        )
        return redirect(reverse("measure-list", kwargs={"org_slug": self.organization.slug}))


class FinancialsImportView(MeasureImportView):
    """Monthly plans, forecasts and actuals of many measures. Any member may upload: a row for a
    measure the member may not change is reported as a bad row, like any other."""

    template_name = "measures/imports/financials.html"
    kind = "financials"
    columns = (
        (FINANCIAL_COLUMNS[0], "the measure's code"),
        (FINANCIAL_COLUMNS[1], "the month, YYYY-MM (or a date cell on its first day)"),
        (FINANCIAL_COLUMNS[2], "benefit, one_time_cost or recurring_cost"),
        (FINANCIAL_COLUMNS[3], "plan, forecast or actual (the baseline is frozen, not imported)"),
        (FINANCIAL_COLUMNS[4], "in the organization's currency, at most two decimals"),
    )

    def _allowed(self) -> None:
        pass

    def run_import(self, rows: list[Any], dry_run: bool) -> Any:
        return import_financials(
            organization=self.organization, by=self.request.user, rows=rows, dry_run=dry_run
        )

    def _done(self, result: Any) -> HttpResponse:
        messages.success(
            self.request,
            f"Imported {len(result.changes)} amount(s) of {len(result.measures)} measure(s).",
        )
        return redirect(reverse("financials-import", kwargs={"org_slug": self.organization.slug}))
