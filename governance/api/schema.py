"""The OpenAPI schema's error answers, documented once for every operation.

Every endpoint answers errors in the shape ``governance.api.errors.exception_handler`` gives
them. Rather than repeat ``OpenApiResponse`` on each view, this post-processing hook adds the
shared ``Error`` component and the statuses an operation can answer with: what the base viewset
and the exception handler do is the same for all of them, so the rule lives here, next to them.
``SchemaView`` serves the schema, generated once per process.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response
from rest_framework.settings import api_settings

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error has this shape.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "errors": {
            "type": "object",
            "description": "Invalid input: the messages of each field (`non_field_errors` for "
            "the request as a whole). Empty for other errors.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "problems": {
            "type": "array",
            "items": {"type": "string"},
            "description": "On 409: each reason the object's state refuses the request.",
        },
    },
    "required": ["detail", "errors"],
}
DESCRIPTIONS = {
    400: "Invalid input: every field error at once.",
    401: "No credentials, or a bad, expired or revoked token.",
    403: "Not allowed: the role or a read-only token does not permit this.",
    404: "Not found, or not yours (another organization's objects do not exist for you).",
    409: "The object's state does not allow this now.",
    412: "`If-Match` is stale or not an ETag this API returned.",
    415: "The body is not in a media type this operation accepts (see its request body).",
    429: "Too many requests: slow down and retry later.",
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
UNSAFE_METHODS = ("put", "post", "delete", "patch")


def _error_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    statuses = [401, 403, 404]
    # Any write may be refused as invalid (restoring under an archived parent takes no body but
    # is still a 400); a read only for its query parameters.
    if method in UNSAFE_METHODS or any(p.get("in") == "query" for p in parameters):
        statuses.append(400)
    if method in UNSAFE_METHODS:
        statuses.append(409)
    if operation.get("requestBody"):
        # A body without a content type, or in one the operation does not parse.
        statuses.append(415)
    if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in parameters):
        statuses.append(412)
    if api_settings.DEFAULT_THROTTLE_CLASSES:
        statuses.append(429)
    return sorted(statuses)


def postprocess_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Add the shared error shape and each operation's error statuses to the schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(method, operation):
                responses.setdefault(
                    str(status),
                    {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result


class SchemaView(SpectacularAPIView):
    """``/api/schema/``: the OpenAPI schema, generated once per process for each API version
    and language. It is the same for every caller (``SERVE_PUBLIC``) and generating it takes a
    second or two; authentication and rate limits still apply to every request."""

    _generated: ClassVar[dict[tuple[str | None, str | None], Any]] = {}

    def _get_schema_response(self, request: Any) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language())
        schema = self._generated.get(key)
        if schema is None:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            schema = generator.get_schema(request=request, public=self.serve_public)
            self._generated[key] = schema
        filename = self._get_filename(request, version)
        return Response(
            data=schema, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )
