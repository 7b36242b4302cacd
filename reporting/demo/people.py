"""Users and memberships of seeded organizations, created in bulk and never changed once there."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from governance.models import MemberKind, Membership, Organization
from governance.services.grants import assign_role
from reporting.demo.organization import Person


@cache
def demo_password_hash() -> str:
    """The hash of ``settings.DEMO_PASSWORD``, computed once per process."""
    # A deliberately slow hash per user would make seeding hundreds of members take minutes;
    # every seeded user shares the one well-known demo password anyway.
    return make_password(settings.DEMO_PASSWORD)


def members_ensure(
    *, organization: Organization, people: Sequence[Person], email_domain: str
) -> dict[str, Any]:
    """Users and memberships for ``people``, by username; existing rows are left as they are."""
    user_model = get_user_model()
    usernames = [person.username for person in people]
    users = {user.username: user for user in user_model.objects.filter(username__in=usernames)}
    missing = [person for person in people if person.username not in users]
    if missing:
        user_model.objects.bulk_create(
            [
                user_model(
                    username=person.username,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    email=f"{person.username}@{email_domain}",
                    password=demo_password_hash() if person.can_log_in else make_password(None),
                )
                for person in missing
            ],
            batch_size=1000,
        )
        # Re-read rather than trust bulk_create to have set primary keys on every backend.
        users = {user.username: user for user in user_model.objects.filter(username__in=usernames)}
    member_ids = set(
        Membership.objects.for_org(organization)
        .filter(user__in=[user.pk for user in users.values()])
        .values_list("user_id", flat=True)
    )
    Membership.objects.bulk_create(
        [
            Membership(
                organization=organization,
                user=users[person.username],
                title=person.title,
                kind=MemberKind.INTEGRATOR if person.integrator else MemberKind.PERSON,
            )
            for person in people
            if users[person.username].pk not in member_ids
        ],
        batch_size=1000,
    )
    by_role: dict[str, list[Any]] = {}
    for person in people:
        by_role.setdefault(person.role, []).append(users[person.username])
    for role, holders in by_role.items():
        assign_role(holders, role, organization)
    return users
