"""Leadership report pages: definitions for org admins under ``/o/<slug>/settings/reports/``,
and the archive of runs and files under ``/o/<slug>/reports/`` for every member."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from governance.errors import ValidationError
from governance.forms.base import apply_service_errors
from governance.views.base import OrgMixin
from governance.views.members import OrgAdminRequired
from reporting.models import ReportDefinition, ReportRecipient
from reporting.reports.forms import ReportDefinitionForm
from reporting.reports.runs import run_now
from reporting.reports.sections import section_registry
from reporting.reports.selectors import (
    definitions_of,
    files_downloadable,
    runs_visible,
    sees_all_reports,
)
from reporting.reports.services import definition_create, definition_delete, definition_update

RUNS_PER_PAGE = 25


class DefinitionMixin(OrgMixin, OrgAdminRequired):
    kwargs: dict[str, Any]

    def definition(self) -> ReportDefinition:
        found = (
            ReportDefinition.objects.for_org(self.organization)
            .select_related("organization", "portfolio", "program", "project", "periodic_task")
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if found is None:
            raise Http404("No such report.")
        return found

    def list_url(self) -> str:
        return reverse("report-definition-list", kwargs={"org_slug": self.organization.slug})


class ReportDefinitionListView(DefinitionMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        titles = {key: entry.title for key, entry in section_registry().items()}
        context = {
            "page_name": "Leadership reports",
            "definitions": definitions_of(self.organization),
            "section_titles": titles,
        }
        return render(request, "reporting/reports/definitions.html", context)


class ReportDefinitionFormView(DefinitionMixin, View):
    """Create (no ``pk``) or edit a definition; a refused form keeps what was typed."""

    def _page(
        self, form: ReportDefinitionForm, definition: ReportDefinition | None, status: int = 200
    ) -> HttpResponse:
        context = {
            "page_name": "Edit report" if definition else "New report",
            "form": form,
            "definition": definition,
        }
        return render(self.request, "reporting/reports/form.html", context, status=status)

    def _existing(self) -> ReportDefinition | None:
        return self.definition() if "pk" in self.kwargs else None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        definition = self._existing()
        initial = None
        if definition is not None:
            recipients = list(
                ReportRecipient.objects.for_org(self.organization)
                .filter(definition=definition)
                .values_list("user_id", flat=True)
            )
            initial = ReportDefinitionForm.initial_of(definition, recipients)
        form = ReportDefinitionForm(organization=self.organization, initial=initial)
        return self._page(form, definition)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        definition = self._existing()
        form = ReportDefinitionForm(request.POST, organization=self.organization)
        if form.is_valid():
            try:
                if definition is None:
                    definition = definition_create(
                        organization=self.organization,
                        by=request.user,
                        data=form.data_for_service(),
                    )
                    messages.success(request, f"Created the report “{definition.title}”.")
                else:
                    definition = definition_update(
                        definition=definition, by=request.user, data=form.data_for_service()
                    )
                    messages.success(request, f"Saved the report “{definition.title}”.")
            except ValidationError as error:
                for level in ("portfolio", "program", "project"):
                    if level in error.message_dict:
                        form.add_error("scope", error.message_dict[level])
                apply_service_errors(form, error)
            else:
                return HttpResponseRedirect(self.list_url())
        return self._page(form, definition, status=422)


class ReportDefinitionDeleteView(DefinitionMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        definition = self.definition()
        context = {"page_name": "Delete report", "definition": definition}
        return render(request, "reporting/reports/delete.html", context)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        definition = self.definition()
        definition_delete(definition=definition, by=request.user)
        messages.success(request, f"Deleted the report “{definition.title}” and its archive.")
        return HttpResponseRedirect(self.list_url())


class ReportDefinitionRunView(DefinitionMixin, View):
    """POST: run the report now (queued; a worker renders it)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        definition = self.definition()
        run_now(definition=definition, by=request.user)
        messages.success(
            request, f"“{definition.title}” is queued: its files appear in the archive when done."
        )
        return HttpResponseRedirect(
            reverse("report-archive", kwargs={"org_slug": self.organization.slug})
        )


class ReportArchiveView(OrgMixin, View):
    """The runs the user sees and the files they may download, newest first."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        page = Paginator(runs_visible(request.user, self.organization), RUNS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        context = {
            "page_name": "Report archive",
            "page": page,
            "sees_all": sees_all_reports(request.user, self.organization),
        }
        return render(request, "reporting/reports/archive.html", context)


class ReportFileDownloadView(OrgMixin, View):
    """GET: a stored report file, for its recipient (and org admins); never a public URL."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        row = files_downloadable(request.user, self.organization).filter(pk=kwargs["pk"]).first()
        if row is None:
            raise Http404("No such report file.")
        try:
            handle = row.file.open("rb")
        except FileNotFoundError:
            raise Http404("The file is no longer stored.") from None
        response = FileResponse(
            handle, as_attachment=True, filename=row.name, content_type=row.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
