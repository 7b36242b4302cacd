"""``POST /api/v1/orgs/<slug>/imports/measures/`` and ``…/imports/financials/``: the
spreadsheet imports, for integrators."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from governance.access import can_add
from governance.api.base import OrgScopedViewSet
from measures.financial_imports import import_financials
from measures.imports import ImportFileError, import_measures, read_table
from measures.models import FinancialEntry, Measure


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


def run_import(request: Request, importer: Any, organization: Any) -> Any:
    """Read the uploaded table and run ``importer`` on it; a bad file or any bad row answers 400
    (``errors.file`` / ``errors.rows`` as "line N, column: reason") with nothing written."""
    payload = ImportRequestSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    upload = payload.validated_data["file"]
    try:
        rows = read_table(upload.name or "", upload.read())
    except ImportFileError as error:
        raise serializers.ValidationError({"file": [str(error)]}) from None
    result = importer(
        organization=organization,
        by=request.user,
        rows=rows,
        dry_run=payload.validated_data["dry_run"],
    )
    if not result.ok:
        raise serializers.ValidationError(
            {"rows": [f"line {e.line}, {e.column}: {e.message}" for e in result.errors]}
        )
    return result


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
        result = run_import(request, import_measures, self.organization)
        return Response(
            ImportResultSerializer(
                {"dry_run": result.dry_run, "created": result.created, "updated": result.updated}
            ).data
        )


class FinancialChangeSerializer(serializers.Serializer):
    measure = serializers.CharField(help_text="The measure's code.")
    period = serializers.DateField(help_text="First day of the month.")
    line = serializers.CharField()
    scenario = serializers.CharField()
    old = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text="Null: nothing stored."
    )
    new = serializers.DecimalField(max_digits=16, decimal_places=2)


class FinancialImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    changed = serializers.IntegerField(help_text="Cells whose amount changes.")
    unchanged = serializers.IntegerField(help_text="Rows that already hold their amount.")
    changes = FinancialChangeSerializer(many=True)


class FinancialImportViewSet(OrgScopedViewSet):
    """Monthly plans, forecasts and actuals of many measures from a spreadsheet, all rows or none.

    Columns: ``measure`` (code), ``period`` (YYYY-MM), ``line``, ``scenario`` (plan, forecast,
    actual) and ``amount``. A file with any bad row answers 400 with every problem as
    ``"line N, column: reason"`` under ``errors.rows``, and nothing is written; a dry run lists
    what would change (old and new amount) and writes nothing."""

    parser_classes = [MultiPartParser]
    serializer_class = ImportRequestSerializer
    queryset_model = FinancialEntry

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={200: FinancialImportResultSerializer},
        tags=["financials"],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        result = run_import(request, import_financials, self.organization)
        return Response(
            FinancialImportResultSerializer(
                {
                    "dry_run": result.dry_run,
                    "changed": len(result.changes),
                    "unchanged": result.unchanged,
                    "changes": [vars(change) for change in result.changes],
                }
            ).data
        )
