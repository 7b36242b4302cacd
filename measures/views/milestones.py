"""The Milestones tab of a measure: the list with slips and evidence, the add and edit forms,
marking done, uploading evidence, and downloading it through an access check."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from governance.access import can
from governance.errors import AccessDenied, ValidationError
from governance.models import Membership
from governance.views.base import OrgMixin
from measures.models import ImplementationStatus, Measure, Milestone, MilestoneEvidence
from measures.services.evidence import describe_limits, evidence_attach
from measures.services.milestones import (
    milestone_complete,
    milestone_create,
    milestone_delete,
    milestone_update,
)
from measures.services.status import suggest_status

FORM_FIELDS = (
    "title",
    "due_date",
    "completed_on",
    "evidence_required",
    "evidence_description",
    "owner",
    "order",
)


def form_values(milestone: Milestone | None) -> dict[str, str]:
    if milestone is None:
        return {}
    return {
        "title": milestone.title,
        "due_date": milestone.due_date.isoformat(),
        "completed_on": milestone.completed_on.isoformat() if milestone.completed_on else "",
        "evidence_required": "on" if milestone.evidence_required else "",
        "evidence_description": milestone.evidence_description,
        "owner": str(milestone.owner_id or ""),
        "order": str(milestone.order),
    }


def posted_values(request: HttpRequest) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in FORM_FIELDS}


def service_values(values: dict[str, str], *, creating: bool) -> dict[str, Any]:
    """What the form posted, as the service's keyword arguments (an empty order: last)."""
    cleaned: dict[str, Any] = {
        "title": values["title"],
        "due_date": values["due_date"],
        "completed_on": values["completed_on"] or None,
        "evidence_required": values["evidence_required"] == "on",
        "evidence_description": values["evidence_description"],
        "owner": values["owner"] or None,
    }
    if values["order"].strip() or not creating:
        cleaned["order"] = values["order"]
    if creating and not cleaned["completed_on"]:
        del cleaned["completed_on"]
    return cleaned


class MeasureMilestonesMixin(OrgMixin):
    kwargs: dict[str, Any]

    def get_measure(self) -> Measure:
        measure = (
            self.restricted(Measure.objects.all(), "view")
            .filter(pk=self.kwargs["pk"])
            .select_related("organization", "owner")
            .first()
        )
        if measure is None:
            raise Http404("No such measure.")
        return measure

    def get_milestone(self, measure: Measure) -> Milestone:
        milestone = (
            Milestone.objects.for_org(self.organization)
            .filter(measure_id=measure.pk, pk=self.kwargs["milestone_id"])
            .select_related("measure")
            .first()
        )
        if milestone is None:
            raise Http404("No such milestone.")
        return milestone

    def writable_measure(self) -> Measure:
        measure = self.get_measure()
        if not can(self.request.user, "contribute", measure):
            raise PermissionDenied
        return measure

    def page_url(self, measure: Measure) -> str:
        return reverse(
            "measure-milestones", kwargs={"org_slug": self.organization.slug, "pk": measure.pk}
        )

    def members(self) -> list[Any]:
        return [
            membership.user
            for membership in Membership.objects.for_org(self.organization)
            .select_related("user")
            .order_by("user__username")
        ]

    def page(
        self,
        measure: Measure,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, list[str]] | None = None,
        row_errors: dict[int, list[str]] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        milestones = list(
            Milestone.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .select_related("owner")
            .prefetch_related(
                Prefetch(
                    "evidence",
                    queryset=MilestoneEvidence.objects.for_org(self.organization).order_by(
                        "uploaded_at", "id"
                    ),
                )
            )
        )
        today = timezone.localdate()
        row_errors = row_errors or {}
        for milestone in milestones:
            milestone.problems = row_errors.get(milestone.pk, [])  # type: ignore[attr-defined]
        suggested = suggest_status(milestones, start_date=measure.start_date, today=today)
        context = {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "Milestones",
            "milestones": milestones,
            "today": today,
            "suggested": suggested,
            "suggested_label": ImplementationStatus(suggested).label,
            "can_write": can(self.request.user, "contribute", measure),
            "values": values or {},
            "errors": errors or {},
            "members": self.members(),
            "limits": describe_limits(),
        }
        return render(self.request, "measures/milestones/list.html", context, status=status)


class MeasureMilestonesView(MeasureMilestonesMixin, View):
    """GET: the milestones and the add form; POST: add a milestone (or show each bad field)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(self.get_measure())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.writable_measure()
        values = posted_values(request)
        try:
            milestone = milestone_create(
                measure=measure, by=request.user, **service_values(values, creating=True)
            )
        except AccessDenied:
            raise PermissionDenied from None
        except ValidationError as exc:
            return self.page(measure, values=values, errors=exc.message_dict, status=422)
        messages.success(request, f"Milestone “{milestone.title}” added.")
        return HttpResponseRedirect(self.page_url(measure))


class MilestoneEditView(MeasureMilestonesMixin, View):
    """GET: the edit form; POST: save it (or show it again with every input and error)."""

    template_name = "measures/milestones/edit.html"

    def render_form(
        self,
        measure: Measure,
        milestone: Milestone,
        values: dict[str, str],
        errors: dict[str, list[str]] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            "measure": measure,
            "node": measure,
            "level": "measure",
            "page_name": "Edit milestone",
            "milestone": milestone,
            "values": values,
            "errors": errors or {},
            "members": self.members(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.writable_measure()
        milestone = self.get_milestone(measure)
        return self.render_form(measure, milestone, form_values(milestone))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.writable_measure()
        milestone = self.get_milestone(measure)
        values = posted_values(request)
        try:
            milestone_update(
                milestone=milestone, by=request.user, **service_values(values, creating=False)
            )
        except AccessDenied:
            raise PermissionDenied from None
        except ValidationError as exc:
            return self.render_form(measure, milestone, values, exc.message_dict, status=422)
        messages.success(request, f"Milestone “{values['title'].strip()}” saved.")
        return HttpResponseRedirect(self.page_url(measure))


class MilestoneDoneView(MeasureMilestonesMixin, View):
    """POST: mark the milestone done today (refused while its required evidence is missing)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.writable_measure()
        milestone = self.get_milestone(measure)
        try:
            milestone_complete(milestone=milestone, by=request.user)
        except AccessDenied:
            raise PermissionDenied from None
        except ValidationError as exc:
            problems = [message for messages_ in exc.message_dict.values() for message in messages_]
            return self.page(measure, row_errors={milestone.pk: problems}, status=422)
        messages.success(request, f"Milestone “{milestone.title}” is done.")
        return HttpResponseRedirect(self.page_url(measure))


class MilestoneDeleteView(MeasureMilestonesMixin, View):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.writable_measure()
        milestone = self.get_milestone(measure)
        try:
            milestone_delete(milestone=milestone, by=request.user)
        except AccessDenied:
            raise PermissionDenied from None
        messages.success(request, f"Milestone “{milestone.title}” removed.")
        return HttpResponseRedirect(self.page_url(measure))


class MilestoneEvidenceView(MeasureMilestonesMixin, View):
    """POST (multipart ``file``): attach one evidence file to the milestone."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure = self.writable_measure()
        milestone = self.get_milestone(measure)
        try:
            evidence = evidence_attach(
                milestone=milestone, upload=request.FILES.get("file"), by=request.user
            )
        except AccessDenied:
            raise PermissionDenied from None
        except ValidationError as exc:
            problems = [message for messages_ in exc.message_dict.values() for message in messages_]
            return self.page(measure, row_errors={milestone.pk: problems}, status=422)
        messages.success(request, f"Evidence “{evidence.original_name}” attached.")
        return HttpResponseRedirect(self.page_url(measure))


# Shown in the page (``?inline=1``, the validation queue's evidence) rather than downloaded:
# types a browser renders without running anything of the file's (no SVG, no HTML).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


class EvidenceDownloadView(MeasureMilestonesMixin, View):
    """GET: the evidence file, for who may see the measure; never a public media URL. With
    ``?inline=1`` an image or PDF is served for display in our own pages (same-origin frames
    only); any other type is still a download."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        measure = self.get_measure()
        evidence = (
            MilestoneEvidence.objects.for_org(self.organization)
            .filter(measure_id=measure.pk, pk=self.kwargs["evidence_id"])
            .first()
        )
        if evidence is None:
            raise Http404("No such evidence.")
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise Http404("The file is no longer stored.") from None
        inline = request.GET.get("inline") == "1" and evidence.content_type in INLINE_TYPES
        response = FileResponse(
            handle,
            as_attachment=not inline,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )
        if inline:
            response["X-Frame-Options"] = "SAMEORIGIN"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
