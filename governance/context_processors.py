from typing import Any

from django.http import HttpRequest

from governance.access import can
from governance.selectors import organizations_of


def tenancy(request: HttpRequest) -> dict[str, Any]:
    """The current organization and the user's others, for the switcher in the navigation, and
    whether the user may manage its members (from the grants already read for the request)."""
    organization = getattr(request, "organization", None)
    return {
        "current_org": organization,
        "current_membership": getattr(request, "membership", None),
        "my_organizations": organizations_of(request.user) if hasattr(request, "user") else [],
        "can_manage_members": organization is not None
        and can(request.user, "administer", organization),
    }


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The number of the user's unread notifications in the current organization, for the
    navigation: one query, read once per request however many templates render."""
    organization = getattr(request, "organization", None)
    user = getattr(request, "user", None)
    if organization is None or user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    cached = getattr(request, "_unread_notifications", None)
    if cached is None:
        from governance.notifications import notifications_unread_count

        cached = notifications_unread_count(user, organization)
        request._unread_notifications = cached  # type: ignore[attr-defined]
    return {"unread_notifications": cached}
