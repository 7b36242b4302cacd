"""``POST /api/v1/orgs/<slug>/imports/measures/``: the spreadsheet import, for integrators."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from governance.access import can_add
from governance.api.base import OrgScopedViewSet
from measures.imports import ImportFileError, import_measures, read_table
from measures.models import Measure


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="An .xlsx or .csv file; the first row names the columns."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Check every row and write nothing."
    )


class ImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.ListField(child=serializers.CharField(), help_text="Codes created.")
    updated = serializers.ListField(child=serializers.CharField(), help_text="Codes updated.")


class MeasureImportViewSet(OrgScopedViewSet):
    """Create or update measures from a spreadsheet, all rows or none.

    A file with any bad row answers 400 with every problem as ``"line N, column: reason"`` under
    ``errors.rows``, and nothing is written."""

    parser_classes = [MultiPartParser]
    serializer_class = ImportRequestSerializer
    queryset_model = Measure

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={200: ImportResultSerializer},
        tags=["measures"],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_add(request.user, Measure, self.organization):
            raise exceptions.PermissionDenied("Your role does not allow this here.")
        payload = ImportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        try:
            rows = read_table(upload.name or "", upload.read())
        except ImportFileError as error:
            raise serializers.ValidationError({"file": [str(error)]}) from None
        result = import_measures(
            organization=self.organization,
            by=request.user,
            rows=rows,
            dry_run=payload.validated_data["dry_run"],
        )
        if not result.ok:
            raise serializers.ValidationError(
                {"rows": [f"line {e.line}, {e.column}: {e.message}" for e in result.errors]}
            )
        return Response(
            ImportResultSerializer(
                {"dry_run": result.dry_run, "created": result.created, "updated": result.updated}
            ).data
        )
