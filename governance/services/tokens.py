"""Issuing, checking and revoking API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from governance.access import membership_of
from governance.audit import audit_record
from governance.errors import ValidationError
from governance.models import ApiToken, Organization, TokenScope
from governance.rls import tenant_scope, token_organization

TOKEN_PREFIX = "tl"  # noqa: S105 - a public marker, not a secret
# Writing last_used_at on every request would turn each API read into a write; once a minute
# is precise enough to see which tokens are alive.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# ``secrets.token_hex(6)``: anything else cannot be a prefix we issued, and must not reach the
# database (PostgreSQL refuses a NUL byte in a query with an error, not an empty result).
PREFIX_PATTERN = re.compile(r"[0-9a-f]{12}")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_issue(
    *,
    user: Any,
    organization: Organization,
    name: str,
    scope: str = TokenScope.READ,
    expires_at: dt.datetime | None = None,
    by: Any,
) -> tuple[ApiToken, str]:
    """Create a token for a member; returns the token and its key, which is never shown again."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Give the token a name that says what uses it."]
    if scope not in TokenScope.values:
        errors["scope"] = [f"Choose one of {', '.join(TokenScope.values)}."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if membership_of(user, organization) is None:
        errors["user"] = ["The user is not a member of this organization."]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            organization=organization,
            user=user,
            name=name.strip(),
            prefix=prefix,
            key_hash=_hash(secret),
            scope=scope,
            expires_at=expires_at,
        )
        audit_record(actor=by, action="token.issued", obj=token, changes={"scope": scope})
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def token_authenticate(key: str) -> ApiToken | None:
    """The active token a presented key belongs to, or None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not PREFIX_PATTERN.fullmatch(parts[1]):
        return None
    # Authentication happens before the organization of the request is known (``/orgs/`` names
    # none), so the token's own organization is asked first and its row read in that scope.
    organization_id = token_organization(parts[1])
    if organization_id is None:
        return None
    with tenant_scope(organization_id):
        token = (
            ApiToken.objects.for_org(organization_id)
            .select_related("user")
            .filter(prefix=parts[1])
            .first()
        )
        if token is None or not hmac.compare_digest(token.key_hash, _hash(parts[2])):
            return None
        if not token.is_active or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.for_org(organization_id).filter(pk=token.pk).update(last_used_at=now)
    return token


def token_list(*, user: Any, organization: Organization) -> QuerySet[ApiToken]:
    """A user's own tokens in one organization, newest first."""
    return ApiToken.objects.for_org(organization).filter(user=user).order_by("-created_at", "-pk")


def token_revoke(*, token: ApiToken, by: Any) -> ApiToken:
    """Revoke a token at once; the next request with it is refused."""
    with transaction.atomic():
        # Locked, so two revocations at once record one revocation and one audit event.
        current = (
            ApiToken.objects.for_org(token.organization_id).select_for_update().get(pk=token.pk)
        )
        if current.revoked_at is None:
            current.revoked_at = timezone.now()
            current.save(update_fields=["revoked_at"])
            audit_record(actor=by, action="token.revoked", obj=current)
        token.revoked_at = current.revoked_at
    return token


def token_revoke_own(*, user: Any, organization: Organization, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens in this organization.

    Anyone else's token, or one of another organization, does not exist here:
    ``ApiToken.DoesNotExist``.
    """
    token = token_list(user=user, organization=organization).filter(pk=token_id).first()
    if token is None:
        raise ApiToken.DoesNotExist(f"No token {token_id} of this user in {organization}.")
    return token_revoke(token=token, by=user)
