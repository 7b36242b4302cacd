"""The security log: refused requests, failed logins and lockouts, on one logger.

Everything here goes to ``throughline.security`` as a WARNING. Each record carries a ``security``
dict (``event``, ``reason``, user, organization, method, path, object …) for a log pipeline that
keeps structure, and the same facts as ``key=value`` pairs in the message for a person reading
the console.

Both request bases use it: the UI's ``OrgMixin`` and the API's ``OrgScopedViewSetMixin`` call
``log_denied`` where they refuse a request themselves (not a member, a read-only token writing)
and ``log_refused`` for the 404s and 403s their handlers raise. A request is logged once.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest
from rest_framework import exceptions as api_exceptions

from governance.errors import AccessDenied

logger = logging.getLogger("throughline.security")

# not_member: the organization of the URL is unknown or the user does not belong to it (404);
# not_found: the object of the URL is outside the user's scope, or does not exist (404);
# forbidden: the user may see it but not do this (403);
# read_only_token: a token with the read scope tried to write (403).
Reason = Literal["not_member", "not_found", "forbidden", "read_only_token"]
STATUS: dict[str, int] = {
    "not_member": 404,
    "not_found": 404,
    "forbidden": 403,
    "read_only_token": 403,
}

_NOT_FOUND = (Http404, api_exceptions.NotFound)
_FORBIDDEN = (PermissionDenied, api_exceptions.PermissionDenied, AccessDenied)
_LOGGED_FLAG = "_throughline_denial_logged"


def _value(value: Any) -> str:
    """One value of the message: bare when plain, JSON-quoted when it could break the line."""
    if value is None:
        return "-"
    text = str(value)
    if not text or any(char.isspace() or char in '="' for char in text):
        return json.dumps(text)
    return text


def _emit(message: str, fields: dict[str, Any]) -> None:
    pairs = " ".join(f"{key}={_value(value)}" for key, value in fields.items() if key != "event")
    logger.warning("%s %s", message, pairs, extra={"security": fields})


def _client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")


def _object_label(obj: Any) -> str | None:
    """``app.model:pk`` for an instance, or for a ``(model, pk)`` pair."""
    if obj is None:
        return None
    if isinstance(obj, Model):
        return f"{obj._meta.label_lower}:{obj.pk}"
    model, pk = obj
    label = model._meta.label_lower if hasattr(model, "_meta") else str(model)
    return f"{label}:{pk}"


def url_object(view: Any) -> tuple[Any, Any] | None:
    """The model and primary key a view's URL names, when it names one."""
    model = getattr(view, "queryset_model", None) or getattr(view, "model", None)
    kwargs = getattr(view, "kwargs", None) or {}
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    pk = kwargs.get(lookup or "pk", kwargs.get("pk"))
    if model is None or pk is None or getattr(model._meta, "abstract", False):
        return None
    return model, pk


def log_denied(request: Any, reason: Reason, obj: Any = None) -> None:
    """Log one refused request: who, in which organization, what, and why.

    ``request`` is a Django or a REST framework request; ``obj`` a model instance or a
    ``(model, pk)`` pair when the refused object is known. A second call for the same request
    does nothing, so a base class and its handler cannot log one refusal twice.
    """
    http_request: HttpRequest = getattr(request, "_request", request)
    if getattr(http_request, _LOGGED_FLAG, False):
        return
    setattr(http_request, _LOGGED_FLAG, True)
    user = getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    organization = getattr(http_request, "organization", None)
    if organization is not None:
        org_slug = organization.slug
    else:
        match = getattr(http_request, "resolver_match", None)
        org_slug = match.kwargs.get("org_slug") if match is not None else None
    token = getattr(request, "auth", None)
    fields = {
        "event": "access.denied",
        "reason": reason,
        "status": STATUS[reason],
        "user_id": user.pk if user is not None else None,
        "username": user.get_username() if user is not None else None,
        "organization": org_slug,
        "method": http_request.method,
        "path": http_request.path,
        "object": _object_label(obj),
        "token": getattr(token, "prefix", None),
    }
    _emit("access denied", fields)


def log_refused(request: Any, exc: BaseException, *, view: Any = None) -> None:
    """Log a 404 or 403 that a handler raised, naming the object of the URL when there is one."""
    if isinstance(exc, _NOT_FOUND):
        reason: Reason = "not_found"
    elif isinstance(exc, _FORBIDDEN):
        reason = "forbidden"
    else:
        return
    log_denied(request, reason, obj=url_object(view))


def log_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """A wrong password (or unknown username). A failure that locks out is logged as a lockout."""
    if request is not None and getattr(request, "axes_locked_out", False):
        return
    _emit(
        "login failed",
        {
            "event": "login.failed",
            "username": credentials.get("username"),
            "ip": _client_address(request),
            "path": request.path if request is not None else None,
            "failures": getattr(request, "axes_failures_since_start", None),
        },
    )


def log_locked_out(
    sender: Any,
    request: HttpRequest | None,
    username: str | None,
    ip_address: str | None,
    **kwargs: Any,
) -> None:
    """A username + address reached the failure limit, or tried again while locked out."""
    _emit(
        "login locked out",
        {
            "event": "login.locked_out",
            "username": username,
            "ip": ip_address,
            "path": request.path if request is not None else None,
            "minutes": settings.LOGIN_LOCKOUT_MINUTES,
        },
    )


def connect_signals() -> None:
    """Listen to failed logins and django-axes' lockouts (once the app registry is ready)."""
    from axes.signals import user_locked_out

    # Connected after django-axes' own receiver (its app is listed first), so a failure already
    # carries its count and whether it locked the user out.
    user_login_failed.connect(log_login_failed, dispatch_uid="throughline.security.login_failed")
    user_locked_out.connect(log_locked_out, dispatch_uid="throughline.security.locked_out")
