"""Leadership reports over the API: definitions (org admins: CRUD and "run now") and runs with
their files (what the archive shows the caller).

A definition's ``ETag`` is its version, bumped by every edit; PUT, PATCH and DELETE take
``If-Match`` (a stale one answers 412). PATCH sends only what changes; PUT all of it.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any

from django.db.models import QuerySet
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from governance.access import can
from governance.api.base import OrgScopedViewSet
from governance.api.pagination import StablePagination
from governance.api.versions import IF_MATCH, expected_version, with_etag
from governance.api.webhooks import NameListField  # item errors as one flat list
from governance.models import Role
from reporting.models import ReportDefinition, ReportFile, ReportFormat, ReportRecipient, ReportRun
from reporting.reports.runs import run_now
from reporting.reports.sections import section_choices
from reporting.reports.selectors import runs_visible
from reporting.reports.services import (
    MAX_RECIPIENTS,
    DefinitionData,
    definition_create,
    definition_delete,
    definition_update,
)

DEFINITION_TAGS = ["report definitions"]
RUN_TAGS = ["report runs"]
MAX_ID = 2**63 - 1


class NewestFirst(StablePagination):
    ordering = "-id"


class ReportDefinitionSerializer(serializers.ModelSerializer):
    recipients = serializers.SerializerMethodField(help_text="Ids of the people named.")

    class Meta:
        model = ReportDefinition
        fields = [
            "id",
            "title",
            "portfolio",
            "program",
            "project",
            "sections",
            "formats",
            "audience_roles",
            "recipients",
            "cron_minute",
            "cron_hour",
            "cron_day_of_month",
            "cron_month_of_year",
            "cron_day_of_week",
            "email",
            "enabled",
            "version",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_recipients(self, definition: ReportDefinition) -> list[int]:
        return sorted(row.user_id for row in definition.audience_rows.all())


class ReportDefinitionWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    sections = NameListField(
        child=serializers.ChoiceField(
            choices=section_choices(),
            error_messages={
                "invalid_choice": '"{input}" is not a section: sections are the dashboard widgets.'
            },
        ),
        max_length=50,
    )
    formats = NameListField(
        child=serializers.ChoiceField(choices=ReportFormat.choices), max_length=3
    )
    audience_roles = NameListField(
        child=serializers.ChoiceField(choices=Role.choices), required=False, max_length=10
    )
    recipients = NameListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=MAX_RECIPIENTS,
        help_text="Ids of members who receive it (for their own scope).",
    )
    portfolio = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    program = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    project = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text="The scope: the lowest of portfolio, program, project given; none: the org.",
    )
    cron_minute = serializers.CharField(max_length=60, required=False)
    cron_hour = serializers.CharField(max_length=60, required=False)
    cron_day_of_month = serializers.CharField(max_length=60, required=False)
    cron_month_of_year = serializers.CharField(max_length=60, required=False)
    cron_day_of_week = serializers.CharField(max_length=60, required=False)
    email = serializers.BooleanField(required=False)
    enabled = serializers.BooleanField(required=False)


class ReportFileSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField(
        help_text="The page that serves the file to its signed-in recipient (or an org admin)."
    )

    class Meta:
        model = ReportFile
        fields = [
            "id",
            "recipient",
            "format",
            "name",
            "content_type",
            "size",
            "created_at",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, row: ReportFile) -> str:
        organization = self.context.get("organization")
        slug = getattr(organization, "slug", "")
        return reverse("report-file-download", kwargs={"org_slug": slug, "pk": row.pk})


class ReportRunSerializer(serializers.ModelSerializer):
    files = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "definition",
            "state",
            "reason",
            "attempts",
            "triggered_by",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "files",
        ]
        read_only_fields = fields

    @extend_schema(responses=ReportFileSerializer(many=True))  # type: ignore[misc]
    def get_files(self, run: ReportRun) -> list[dict[str, Any]]:
        rows = getattr(run, "files_for_user", [])
        return list(ReportFileSerializer(rows, many=True, context=self.context).data)


def _data_of(definition: ReportDefinition) -> DefinitionData:
    """A definition as the service's input, for PATCH to change only what is sent."""
    recipients = (
        ReportRecipient.objects.for_org(definition.organization_id)
        .filter(definition=definition)
        .values_list("user_id", flat=True)
    )
    return DefinitionData(
        title=definition.title,
        sections=list(definition.sections),
        formats=list(definition.formats),
        audience_roles=list(definition.audience_roles),
        recipients=list(recipients),
        portfolio=definition.portfolio_id,
        program=definition.program_id,
        project=definition.project_id,
        cron_minute=definition.cron_minute,
        cron_hour=definition.cron_hour,
        cron_day_of_month=definition.cron_day_of_month,
        cron_month_of_year=definition.cron_month_of_year,
        cron_day_of_week=definition.cron_day_of_week,
        email=definition.email,
        enabled=definition.enabled,
    )


def _merge(base: DefinitionData, given: dict[str, Any]) -> DefinitionData:
    for item in dataclass_fields(base):
        if item.name in given:
            setattr(base, item.name, given[item.name])
    return base


class ReportDefinitionViewSet(OrgScopedViewSet):
    """The organization's leadership report definitions (org admins only)."""

    queryset_model = ReportDefinition
    serializer_class = ReportDefinitionSerializer
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False):
            return
        if not can(request.user, "administer", self.organization):
            raise exceptions.PermissionDenied("Only an org admin manages leadership reports.")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().prefetch_related("audience_rows")

    def definition(self) -> ReportDefinition:
        pk = str(self.kwargs.get("pk", ""))
        found = (
            self.get_queryset().filter(pk=int(pk)).first()
            if pk.isdigit() and int(pk) <= MAX_ID
            else None
        )
        if found is None:
            raise exceptions.NotFound()
        return found

    def _answer(self, definition: ReportDefinition, code: int = status.HTTP_200_OK) -> Response:
        definition = self.get_queryset().get(pk=definition.pk)
        body = ReportDefinitionSerializer(definition).data
        return with_etag(Response(body, status=code), definition.version)

    @extend_schema(tags=DEFINITION_TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Every report definition of the organization, newest first."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ReportDefinitionSerializer(page, many=True).data)

    @extend_schema(
        tags=DEFINITION_TAGS,
        request=ReportDefinitionWriteSerializer,
        responses={201: ReportDefinitionSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Define a report; its schedule goes to beat."""
        payload = ReportDefinitionWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = _merge(DefinitionData(title="", sections=[], formats=[]), payload.validated_data)
        definition = definition_create(organization=self.organization, by=request.user, data=data)
        return self._answer(definition, status.HTTP_201_CREATED)

    @extend_schema(tags=DEFINITION_TAGS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._answer(self.definition())

    @extend_schema(
        tags=DEFINITION_TAGS,
        request=ReportDefinitionWriteSerializer,
        responses=ReportDefinitionSerializer,
        parameters=[IF_MATCH],
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Replace the definition (PATCH: only what is given)."""
        definition = self.definition()
        partial = kwargs.get("partial", False)
        payload = ReportDefinitionWriteSerializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        base = (
            _data_of(definition) if partial else DefinitionData(title="", sections=[], formats=[])
        )
        definition = definition_update(
            definition=definition,
            by=request.user,
            data=_merge(base, payload.validated_data),
            expected_version=expected_version(request),
        )
        return self._answer(definition)

    @extend_schema(
        tags=DEFINITION_TAGS,
        request=ReportDefinitionWriteSerializer,
        responses=ReportDefinitionSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(tags=DEFINITION_TAGS, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete the definition, its schedule, its runs and their files."""
        definition_delete(
            definition=self.definition(),
            by=request.user,
            expected_version=expected_version(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(tags=DEFINITION_TAGS, request=None, responses={202: ReportRunSerializer})
    def run(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Run the report now: answers the queued run; a worker renders it."""
        run = run_now(definition=self.definition(), by=request.user)
        body = ReportRunSerializer(run, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ReportRunViewSet(OrgScopedViewSet):
    """Report runs the caller sees (their own files; org admins: all), with download links."""

    queryset_model = ReportRun
    serializer_class = ReportRunSerializer
    pagination_class = NewestFirst
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return ReportRun.objects.unscoped().none()
        return runs_visible(self.request.user, self.organization)

    @extend_schema(tags=RUN_TAGS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Runs newest first, each with the files the caller may download."""
        page = self.paginate_queryset(self.get_queryset())
        context = self.get_serializer_context()
        return self.get_paginated_response(
            ReportRunSerializer(page, many=True, context=context).data
        )

    @extend_schema(tags=RUN_TAGS)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pk = str(kwargs.get("pk", ""))
        run = (
            self.get_queryset().filter(pk=int(pk)).first()
            if pk.isdigit() and int(pk) <= MAX_ID
            else None
        )
        if run is None:
            raise exceptions.NotFound()
        return Response(ReportRunSerializer(run, context=self.get_serializer_context()).data)


urlpatterns = [
    path(
        "report-definitions/",
        ReportDefinitionViewSet.as_view({"get": "list", "post": "create"}),
        name="report-definition-list",
    ),
    path(
        "report-definitions/<int:pk>/",
        ReportDefinitionViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="report-definition-detail",
    ),
    path(
        "report-definitions/<int:pk>/run/",
        ReportDefinitionViewSet.as_view({"post": "run"}),
        name="report-definition-run",
    ),
    path("report-runs/", ReportRunViewSet.as_view({"get": "list"}), name="report-run-list"),
    path(
        "report-runs/<int:pk>/",
        ReportRunViewSet.as_view({"get": "retrieve"}),
        name="report-run-detail",
    ),
]
