"""API rate limits: per token for integrations, per user for the browser, per address otherwise.

The bucket a request counts against follows how it authenticated:

- ``Authorization: Token …``: the token (each token of a user has its own bucket), at the
  ``token`` rate (``API_RATE_TOKEN``);
- a browser session: the user, at the ``user`` rate (``API_RATE_USER``);
- anonymous (only the schema and docs answer those): the client address, at the ``user`` rate.

The request history lives in Django's cache, which is Redis (shared by every process) when
``REDIS_URL`` is set. Over the limit the API answers 429 in the usual error shape, with
``Retry-After`` in seconds.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from governance.models import ApiToken


class ApiRateThrottle(SimpleRateThrottle):
    scope: str | None = None
    ident: str | None = None

    def __init__(self) -> None:
        # The rate depends on how a request authenticated, so it is chosen per request.
        self.rate = None
        self.num_requests: int | None = None
        self.duration: int | None = None

    def bucket(self, request: Request) -> tuple[str, str | None]:
        """The scope (``token``, ``user`` or ``anon``) and identity a request counts against."""
        if isinstance(request.auth, ApiToken):
            return "token", str(request.auth.pk)
        user = request.user
        if user is not None and user.is_authenticated:
            return "user", str(user.pk)
        return "anon", self.get_ident(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope, self.ident = self.bucket(request)
        # Read at request time rather than import time, so a changed setting applies at once.
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        self.rate = rates.get(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if self.ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.ident}

    def wait(self) -> float | None:
        """Whole seconds until the next request is allowed, at least one (for Retry-After)."""
        wait = super().wait()
        if wait is None:
            wait = self.duration or 1
        return float(max(1, math.ceil(wait)))
