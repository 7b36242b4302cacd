from typing import Any

from django.http import HttpRequest

from governance.selectors import organizations_of


def tenancy(request: HttpRequest) -> dict[str, Any]:
    """The current organization and the user's others, for the switcher in the navigation."""
    return {
        "current_org": getattr(request, "organization", None),
        "current_membership": getattr(request, "membership", None),
        "my_organizations": organizations_of(request.user) if hasattr(request, "user") else [],
    }
