"""Optimistic concurrency for API writes: the ``ETag`` is a version, ``If-Match`` guards writes.

A node's ``ETag`` is its ``version`` (``"<version>"``); a measure's child objects (milestones,
risks, KPIs, effort, …) share their measure's (or project's) version, which every write to them
bumps. A write that sends ``If-Match`` with a version that is no longer current answers 412 and
changes nothing; a write without it (or with ``*``) proceeds.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.errors import PreconditionFailed

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description='The ETag of your last read ("<version>"); a stale one answers 412.',
)


def expected_version(request: Request) -> int | None:
    """The version the request's ``If-Match`` expects, or None when it sends none (or ``*``);
    a header that is not an ETag this API returned answers 412."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise PreconditionFailed("If-Match must be an ETag this API returned.") from None


def check_expected(request: Request, current: int) -> None:
    """Answer 412 when the request's ``If-Match`` names another version than ``current``."""
    expected = expected_version(request)
    if expected is not None and expected != current:
        raise PreconditionFailed()


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = f'"{version}"'
    return response
