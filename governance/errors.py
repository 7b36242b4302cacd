"""Domain errors, translated once into HTTP answers (governance.api.errors) and form errors."""

from __future__ import annotations

from django.core.exceptions import ValidationError

__all__ = ["AccessDenied", "Conflict", "StaleVersion", "ValidationError"]


class AccessDenied(Exception):
    """The acting user may not do this here. Shown as 404 for reads and 403 for writes."""

    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__(message)
        self.message = message


class StaleVersion(Exception):
    """The object changed since the client read it (HTTP 412)."""

    def __init__(self, current_version: int) -> None:
        super().__init__(
            f"The object has changed since you read it (now version {current_version})."
        )
        self.current_version = current_version


class Conflict(Exception):
    """The request is valid but the object's state does not allow it now (HTTP 409)."""

    def __init__(
        self, message: str, problems: list[str] | None = None, *, key: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        # When set, the API also lists the problems under ``errors[key]`` (e.g. "criteria").
        self.key = key
