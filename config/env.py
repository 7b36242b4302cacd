"""Typed, validated reading of the environment.

Every setting that comes from the environment is read through one of these functions, so a
malformed value stops the process at start-up with a message naming the variable, instead of
failing later in a request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# The request rates Django REST framework understands: "<count>/<period>".
_RATE = re.compile(r"^(\d+)/(s|sec|second|m|min|minute|h|hour|d|day)$")
# A plain SQL identifier: lower-case, as PostgreSQL folds unquoted names, and at most 63 bytes.
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class Env:
    """Reads variables from a mapping (``os.environ`` by default) and validates them."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        return self.environ.get(name)

    def fail(self, name: str, value: str, expected: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(
            f"Environment variable {name}={value!r} is malformed: expected {expected}."
        )

    def get_str(self, name: str, default: str | None = None, *, required: bool = False) -> str:
        value = self._raw(name)
        if value is None or value == "":
            if required:
                raise ImproperlyConfigured(f"Environment variable {name} is required.")
            return default or ""
        return value

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise self.fail(name, value, "one of true/false, 1/0, yes/no, on/off")

    def get_int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self._raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            raise self.fail(name, value, "a whole number") from None
        if minimum is not None and number < minimum:
            raise self.fail(name, value, f"a whole number of at least {minimum}")
        return number

    def get_identifier(self, name: str, default: str = "") -> str:
        value = self._raw(name)
        if value is None or value == "":
            return default
        if not _IDENTIFIER.fullmatch(value):
            raise self.fail(
                name, value, "a database name of lower-case letters, digits and _ (max. 63)"
            )
        return value

    def get_list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def get_rate(self, name: str, default: str) -> str:
        """A request rate such as ``600/min``: a positive count per second, minute, hour or day."""
        value = self._raw(name)
        if value is None or value == "":
            return default
        match = _RATE.match(value.strip().replace(" ", ""))
        if match is None or int(match.group(1)) < 1:
            raise self.fail(name, value, "a rate such as 600/min (per sec, min, hour or day)")
        return f"{int(match.group(1))}/{match.group(2)}"

    def get_url(self, name: str, default: str, *, schemes: tuple[str, ...]) -> str:
        value = self._raw(name) or default
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in schemes or not rest:
            raise self.fail(name, value, f"a URL starting with one of {', '.join(schemes)}://")
        return value

    def get_database(self, name: str, default: str) -> dict[str, Any]:
        value = self._raw(name) or default
        scheme = value.partition("://")[0]
        if scheme not in ("sqlite", "postgres", "postgresql", "pgsql"):
            raise self.fail(name, value, "a sqlite:/// or postgres:// URL")
        try:
            config = dj_database_url.parse(value, conn_max_age=0)
        except (ValueError, KeyError) as exc:
            raise self.fail(name, value, f"a valid database URL ({exc})") from None
        if not config.get("NAME"):
            raise self.fail(name, value, "a URL that names a database")
        return dict(config)
