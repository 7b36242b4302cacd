"""An organization's settings for measures: categories, gate tightening, weights and thresholds.

One page for org admins, three sections, each its own form posted with a ``section`` field; a
failed form comes back with what was typed and its errors, the other sections as stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from governance.errors import ValidationError
from governance.forms.base import apply_service_errors
from governance.views.base import OrgMixin
from governance.views.members import OrgAdminRequired
from measures.forms import CategoryForm, FinancialSettingsForm, GateSettingsForm
from measures.models import DOI_ORDER, GateSettings, MeasureCategory
from measures.services.categories import category_create, category_rename, category_set_archived
from measures.services.fields import category_seed_defaults
from measures.services.financials import financial_settings, financial_settings_update
from measures.services.gate_fields import gate_settings_update

FINANCIAL_FIELDS = (*(f"weight_{stage}" for stage in DOI_ORDER), "on_track_from", "at_risk_from")


def _percent(value: Any) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class MeasureSettingsView(OrgMixin, OrgAdminRequired, View):
    template_name = "measures/settings.html"

    def _current_gates(self) -> dict[str, list[str]]:
        found = GateSettings.objects.for_org(self.organization).first()
        return dict(found.extra_fields) if found else {}

    def _page(self, status: int = 200, **forms: Any) -> HttpResponse:
        category_seed_defaults(organization=self.organization)
        stored = financial_settings(self.organization)
        categories = list(MeasureCategory.objects.for_org(self.organization).order_by("name"))
        rename = forms.pop("rename", None)
        rows = [
            (
                category,
                rename[1]
                if rename and rename[0] == category.pk
                else CategoryForm(
                    prefix=f"category-{category.pk}", initial={"name": category.name}
                ),
            )
            for category in categories
        ]
        context = {
            "page_name": "Measure settings",
            "categories": rows,
            "category_form": forms.get("category") or CategoryForm(prefix="new"),
            "gate_form": forms.get("gates")
            or GateSettingsForm(prefix="gates", current=self._current_gates()),
            "financial_form": forms.get("financials")
            or FinancialSettingsForm(
                prefix="fin",
                initial={name: _percent(getattr(stored, name)) for name in FINANCIAL_FIELDS},
            ),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._page()

    def _done(self, message: str, anchor: str) -> HttpResponse:
        messages.success(self.request, message)
        url = reverse("measure-settings", kwargs={"org_slug": self.organization.slug})
        return HttpResponseRedirect(f"{url}#{anchor}")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        section = request.POST.get("section", "")
        handler = {
            "category-add": self._category_add,
            "category-rename": self._category_rename,
            "category-archive": self._category_archive,
            "category-restore": self._category_archive,
            "gates": self._gates,
            "financials": self._financials,
        }.get(section)
        if handler is None:
            return HttpResponse("Unknown settings section.", status=400)
        return handler(request)

    def _category_add(self, request: HttpRequest) -> HttpResponse:
        form = CategoryForm(request.POST, prefix="new")
        if form.is_valid():
            try:
                category = category_create(
                    organization=self.organization, by=request.user, name=form.cleaned_data["name"]
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return self._done(f"Added the category {category.name}.", "categories")
        return self._page(status=422, category=form)

    def _category(self, request: HttpRequest) -> MeasureCategory:
        raw = request.POST.get("category", "")
        return get_object_or_404(
            MeasureCategory.objects.for_org(self.organization),
            pk=int(raw) if raw.isdigit() and len(raw) < 18 else 0,
        )

    def _category_rename(self, request: HttpRequest) -> HttpResponse:
        category = self._category(request)
        form = CategoryForm(request.POST, prefix=f"category-{category.pk}")
        if form.is_valid():
            try:
                category = category_rename(
                    category=category, by=request.user, name=form.cleaned_data["name"]
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return self._done(f"Renamed the category to {category.name}.", "categories")
        return self._page(status=422, rename=(category.pk, form))

    def _category_archive(self, request: HttpRequest) -> HttpResponse:
        category = self._category(request)
        archived = request.POST.get("section") == "category-archive"
        try:
            category_set_archived(category=category, by=request.user, archived=archived)
        except ValidationError as error:
            for problems in error.message_dict.values():
                messages.error(request, " ".join(problems))
            return self._page(status=422)
        verb = "Archived" if archived else "Restored"
        return self._done(f"{verb} the category {category.name}.", "categories")

    def _gates(self, request: HttpRequest) -> HttpResponse:
        form = GateSettingsForm(request.POST, prefix="gates", current=self._current_gates())
        if form.is_valid():
            try:
                gate_settings_update(
                    organization=self.organization,
                    by=request.user,
                    extra_fields={stage: names for stage, names in form.cleaned_data.items()},
                )
            except ValidationError as error:
                form.add_error(None, [m for ms in error.message_dict.values() for m in ms])
            else:
                return self._done("Saved the gate requirements.", "gates")
        return self._page(status=422, gates=form)

    def _financials(self, request: HttpRequest) -> HttpResponse:
        form = FinancialSettingsForm(request.POST, prefix="fin")
        if form.is_valid():
            try:
                financial_settings_update(
                    organization=self.organization, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return self._done("Saved the stage weights and thresholds.", "financials")
        return self._page(status=422, financials=form)
