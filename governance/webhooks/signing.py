"""The signature of a webhook body: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``.

README, "Webhooks", shows receivers how to check it; the recipe there and this code agree.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public marker, not a secret


def secret_new() -> str:
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Throughline-Signature`` header of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"
