"""One shape for every API error: ``{"detail": …, "errors": {field: [...]}}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from governance.errors import AccessDenied, Conflict, StaleVersion

# Django answers URLs no route matches (``/api/v1/orgs/acme/measures/1.5/``) and crashes itself,
# outside DRF; under this prefix those answers keep the API's JSON shape too.
API_PREFIX = "/api/"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object has changed since you read it."
    default_code = "precondition_failed"


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, AccessDenied):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, StaleVersion):
        return PreconditionFailed(str(exc))
    if isinstance(exc, Conflict):
        error = ConflictError(exc.message)
        error.problems = exc.problems  # type: ignore[attr-defined]
        error.problems_key = exc.key  # type: ignore[attr-defined]
        return error
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"detail": "Some fields are not valid.", "errors": data}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        if isinstance(exc, Http404 | exceptions.NotFound):
            detail = "Not found."
        response.data = {"detail": str(detail), "errors": {}}
        problems = getattr(exc, "problems", None)
        if problems:
            response.data["problems"] = problems
            key = getattr(exc, "problems_key", None)
            if key:
                response.data["errors"] = {key: problems}
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: the JSON error shape under the API, the HTML page elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": "Not found.", "errors": {}}, status=status.HTTP_404_NOT_FOUND
        )
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the JSON error shape under the API, the HTML page elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": "Server error.", "errors": {}},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return defaults.server_error(request)
