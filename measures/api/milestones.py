"""Milestones of a measure, their evidence files, and the measure's status reports.

The measure is found among those the caller may see (anyone else: 404). Writing milestones and
evidence needs ``contribute`` on the measure, reporting status ``change`` (403 otherwise).
Milestone writes bump the measure's version, which is the ``ETag``; ``If-Match`` guards them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.base import OrgScopedViewSet
from governance.api.pagination import StablePagination
from governance.api.versions import IF_MATCH, check_expected, with_etag
from measures.models import (
    ImplementationStatus,
    Measure,
    Milestone,
    MilestoneEvidence,
    StatusReport,
)
from measures.services.evidence import evidence_attach
from measures.services.milestones import milestone_create, milestone_delete, milestone_update
from measures.services.status import status_report_submit

TAGS = ["milestones"]
STATUS_TAGS = ["status"]


class EvidenceSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(
        help_text="The page that serves the file to a signed-in user who may see the measure."
    )

    class Meta:
        model = MilestoneEvidence
        fields = [
            "id",
            "milestone",
            "original_name",
            "content_type",
            "size",
            "uploaded_by",
            "uploaded_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, evidence: MilestoneEvidence) -> str:
        organization = self.context.get("organization")
        slug = getattr(organization, "slug", "")
        return reverse(
            "measure-evidence-download",
            kwargs={"org_slug": slug, "pk": evidence.measure_id, "evidence_id": evidence.pk},
        )


class MilestoneSerializer(serializers.ModelSerializer):
    slip_days = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="Due date minus baseline due date, in days."
    )
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "measure",
            "title",
            "due_date",
            "baseline_due_date",
            "completed_on",
            "evidence_required",
            "evidence_description",
            "owner",
            "order",
            "slip_days",
            "evidence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MilestoneWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_date = serializers.DateField(help_text="YYYY-MM-DD, not before the measure's start.")
    completed_on = serializers.DateField(
        required=False, allow_null=True, help_text="Set to mark it done; null reopens it."
    )
    evidence_required = serializers.BooleanField(required=False)
    evidence_description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    owner = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    order = serializers.IntegerField(required=False, min_value=0, max_value=10_000)


class MilestoneFilterSerializer(serializers.Serializer):
    done = serializers.BooleanField(required=False, allow_null=True, default=None)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="pdf, png, jpg, xlsx, docx, csv, txt, msg or eml; at most 10 MB by default."
    )
    name = serializers.CharField(
        required=False,
        max_length=255,
        help_text="The file's name with its extension, when the upload does not carry one.",
    )


class StatusReportSerializer(serializers.ModelSerializer):
    diverges = serializers.BooleanField(
        read_only=True, help_text="The reported status differs from the suggested one."
    )

    class Meta:
        model = StatusReport
        fields = [
            "id",
            "measure",
            "period",
            "status",
            "suggested_status",
            "diverges",
            "commentary",
            "reported_by",
            "reported_at",
        ]
        read_only_fields = fields


class StatusReportWriteSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=10, help_text="The month, YYYY-MM.")
    status = serializers.ChoiceField(choices=ImplementationStatus.choices)
    commentary = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="Required when the status is at risk or off track.",
    )


class MeasureChildViewSet(OrgScopedViewSet):
    def measure(self) -> Measure:
        found = (
            self.restricted(Measure.objects.all(), "view")
            .filter(pk=self.kwargs["pk"])
            .select_related("organization")
            .first()
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def _with_etag(self, response: Response, measure: Measure) -> Response:
        measure.refresh_from_db(fields=["version"])
        return with_etag(response, measure.version)

    def _check_version(self, request: Request, measure: Measure) -> None:
        check_expected(request, measure.version)


class MeasureMilestonesViewSet(MeasureChildViewSet):
    """A measure's milestones, with due dates, baseline and slip, and their evidence."""

    queryset_model = Milestone
    serializer_class = MilestoneSerializer

    def milestones(self, measure: Measure) -> QuerySet[Milestone]:
        return (
            Milestone.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .prefetch_related(
                Prefetch("evidence", queryset=MilestoneEvidence.objects.for_org(self.organization))
            )
        )

    def milestone(self, measure: Measure) -> Milestone:
        found = self.milestones(measure).filter(pk=self.kwargs["milestone_id"]).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("done", bool, description="Only done (true) or open (false) ones."),
            OpenApiParameter("overdue", bool, description="Only open ones past their due date."),
        ],
        responses=MilestoneSerializer(many=True),
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The milestones of the measure, in order; filters ``done`` and ``overdue``."""
        measure = self.measure()
        query = MilestoneFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.milestones(measure)
        done, overdue = query.validated_data["done"], query.validated_data["overdue"]
        if done is not None:
            rows = rows.filter(completed_on__isnull=not done)
        if overdue is not None:
            late = {"completed_on__isnull": True, "due_date__lt": timezone.localdate()}
            rows = rows.filter(**late) if overdue else rows.exclude(**late)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(
            MilestoneSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        tags=TAGS,
        request=MilestoneWriteSerializer,
        responses={201: MilestoneSerializer},
        parameters=[IF_MATCH],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a milestone; it goes last unless ``order`` is given."""
        measure = self.measure()
        self.confirm(measure, "contribute")
        self._check_version(request, measure)
        payload = MilestoneWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        milestone = milestone_create(measure=measure, by=request.user, **payload.validated_data)
        data = self.out(self.milestone_of(measure, milestone.pk))
        return self._with_etag(Response(data, status=status.HTTP_201_CREATED), measure)

    def out(self, milestone: Milestone) -> Any:
        return MilestoneSerializer(milestone, context=self.get_serializer_context()).data

    def milestone_of(self, measure: Measure, pk: int) -> Milestone:
        return self.milestones(measure).get(pk=pk)

    @extend_schema(tags=TAGS, responses=MilestoneSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        measure = self.measure()
        return self._with_etag(Response(self.out(self.milestone(measure))), measure)

    def _update(self, request: Request, partial: bool) -> Response:
        measure = self.measure()
        milestone = self.milestone(measure)
        self.confirm(measure, "contribute")
        self._check_version(request, measure)
        payload = MilestoneWriteSerializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        milestone_update(milestone=milestone, by=request.user, **payload.validated_data)
        data = self.out(self.milestone_of(measure, milestone.pk))
        return self._with_etag(Response(data), measure)

    @extend_schema(
        tags=TAGS,
        request=MilestoneWriteSerializer,
        responses=MilestoneSerializer,
        parameters=[IF_MATCH],
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Replace the milestone's fields. Setting ``completed_on`` marks it done: refused (400)
        while the evidence it requires is missing."""
        return self._update(request, partial=False)

    @extend_schema(
        tags=TAGS,
        request=MilestoneWriteSerializer,
        responses=MilestoneSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some fields of the milestone (``{"completed_on": "…"}`` marks it done)."""
        return self._update(request, partial=True)

    @extend_schema(tags=TAGS, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        measure = self.measure()
        milestone = self.milestone(measure)
        self.confirm(measure, "contribute")
        self._check_version(request, measure)
        milestone_delete(milestone=milestone, by=request.user)
        return self._with_etag(Response(status=status.HTTP_204_NO_CONTENT), measure)


class MilestoneEvidenceViewSet(MeasureMilestonesViewSet):
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Attach an evidence file to the milestone (multipart ``file``); a file of a type or
        size not accepted answers 400 and nothing is stored."""
        measure = self.measure()
        milestone = self.milestone(measure)
        self.confirm(measure, "contribute")
        payload = EvidenceUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        evidence = evidence_attach(
            milestone=milestone,
            upload=payload.validated_data["file"],
            name=payload.validated_data.get("name"),
            by=request.user,
        )
        context = {"organization": self.organization}
        return Response(
            EvidenceSerializer(evidence, context=context).data, status=status.HTTP_201_CREATED
        )


class PeriodPagination(StablePagination):
    """Newest month first (a measure has one report per month)."""

    ordering = "-period"


class StatusReportsViewSet(MeasureChildViewSet):
    """A measure's monthly Implementation Status reports, newest month first."""

    queryset_model = StatusReport
    pagination_class = PeriodPagination
    serializer_class = StatusReportSerializer

    @extend_schema(tags=STATUS_TAGS, responses=StatusReportSerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The history of reports: each month's reported status beside the suggested one."""
        measure = self.measure()
        rows = StatusReport.objects.for_org(self.organization).filter(measure_id=measure.pk)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(StatusReportSerializer(page, many=True).data)

    @extend_schema(
        tags=STATUS_TAGS,
        request=StatusReportWriteSerializer,
        responses={200: StatusReportSerializer, 201: StatusReportSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Report the status for a month (201); the same month again replaces it (200)."""
        measure = self.measure()
        self.confirm(measure, "change")
        payload = StatusReportWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        existed = (
            StatusReport.objects.for_org(self.organization)
            .filter(measure_id=measure.pk)
            .values_list("period", flat=True)
        )
        before = {f"{period:%Y-%m}" for period in existed}
        report = status_report_submit(
            measure=measure,
            by=request.user,
            period=data["period"],
            status=data["status"],
            commentary=data.get("commentary", ""),
        )
        created = f"{report.period:%Y-%m}" not in before
        return Response(
            StatusReportSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


urlpatterns = [
    path(
        "measures/<int:pk>/milestones/",
        MeasureMilestonesViewSet.as_view({"get": "list", "post": "create"}),
        name="measure-milestones",
    ),
    path(
        "measures/<int:pk>/milestones/<int:milestone_id>/",
        MeasureMilestonesViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="measure-milestone-detail",
    ),
    path(
        "measures/<int:pk>/milestones/<int:milestone_id>/evidence/",
        MilestoneEvidenceViewSet.as_view({"post": "create"}),
        name="measure-milestone-evidence",
    ),
    path(
        "measures/<int:pk>/status-reports/",
        StatusReportsViewSet.as_view({"get": "list", "post": "create"}),
        name="measure-status-reports",
    ),
]
