"""The database session store, refusing cookie values Django never issues as session keys.

Django looks any cookie of eight characters or more up in the database. A key with a NUL byte
(a cookie may carry one as an octal escape, ``"\\000"``) makes PostgreSQL refuse the query with
an error, so every page and API call answered 500 to whoever sent it. Keys Django issues are
lowercase letters and digits; anything else is simply no session.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS

_VALID = frozenset(VALID_KEY_CHARS)


class SessionStore(db.SessionStore):
    def _validate_session_key(self, key: Any) -> bool:
        return bool(super()._validate_session_key(key)) and set(key) <= _VALID
