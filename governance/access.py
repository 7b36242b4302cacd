"""Who may see and do what. The one place visibility is decided.

``restrict(queryset, user, action, organization=…)`` is called by every view, API viewset, form
choice field, export and task that reads tenant rows on a user's behalf. It fails closed: a
user who is not a member of the organization, or whose role does not allow the action, gets no
rows. Out-of-scope objects therefore answer 404, never 403.

Today the decision rests on the member's base role in the organization; grants on hierarchy
nodes refine it without changing this interface.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Model, QuerySet

from governance.errors import AccessDenied
from governance.models import Membership, Organization, Role

Action = Literal["view", "add", "change", "archive"]

# Roles that manage structure (create, edit, move, archive nodes) anywhere in the organization.
STRUCTURE_ROLES = frozenset({Role.ADMIN, Role.LEAD})


def membership_of(user: Any, organization: Organization | int) -> Membership | None:
    """The user's membership in the organization, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return None
    org_id = organization if isinstance(organization, int) else organization.pk
    cache: dict[int, Membership | None] = user.__dict__.setdefault("_memberships", {})
    if org_id not in cache:
        cache[org_id] = (
            Membership.objects.for_org(org_id)
            .filter(user=user)
            .select_related("organization")
            .first()
        )
    return cache[org_id]


def restrict(
    queryset: QuerySet[Any], user: Any, action: Action, *, organization: Organization | int
) -> QuerySet[Any]:
    """Rows of ``queryset`` in ``organization`` on which ``user`` may perform ``action``."""
    queryset = queryset.for_org(organization)  # type: ignore[attr-defined]
    membership = membership_of(user, organization)
    if membership is None:
        return queryset.none()
    if action == "view" or membership.role in STRUCTURE_ROLES:
        return queryset
    if action == "change" and membership.role == Role.OWNER and _has_field(queryset.model, "owner"):
        return queryset.filter(owner=user)
    return queryset.none()


def can(user: Any, action: Action, obj: Model) -> bool:
    """Whether ``user`` may perform ``action`` on the loaded object ``obj``."""
    manager = type(obj)._default_manager
    organization_id = obj.organization_id  # type: ignore[attr-defined]
    return (
        restrict(manager.all(), user, action, organization=organization_id)
        .filter(pk=obj.pk)
        .exists()
    )


def require(user: Any, action: Action, obj: Model) -> None:
    """Raise ``AccessDenied`` unless ``user`` may perform ``action`` on ``obj``."""
    if not can(user, action, obj):
        raise AccessDenied()


def can_create_top_level(user: Any, organization: Organization | int) -> bool:
    """Whether ``user`` may create nodes that have no parent (portfolios)."""
    membership = membership_of(user, organization)
    return membership is not None and membership.role in STRUCTURE_ROLES


def _has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())
