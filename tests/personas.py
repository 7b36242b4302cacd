"""The people every test talks about: one per role in an organization, and an outsider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from governance.models import Organization, Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@dataclass
class Personas:
    org: Organization
    other_org: Organization
    admin: Any
    executive: Any
    lead: Any
    owner: Any
    controller: Any
    contributor: Any
    viewer: Any
    outsider: Any  # admin of other_org, member of nothing here
    stranger: Any  # member of no organization at all


def make_personas() -> Personas:
    org = OrganizationFactory(name="Acme Manufacturing", slug="acme")
    other = OrganizationFactory(name="Globex", slug="globex")
    people = {}
    for role in (
        Role.ADMIN,
        Role.EXECUTIVE,
        Role.LEAD,
        Role.OWNER,
        Role.CONTROLLER,
        Role.CONTRIBUTOR,
        Role.VIEWER,
    ):
        user = UserFactory(username=f"acme-{role}")
        MembershipFactory(organization=org, user=user, role=role)
        people[str(role)] = user
    outsider = UserFactory(username="globex-admin")
    MembershipFactory(organization=other, user=outsider, role=Role.ADMIN)
    return Personas(
        org=org,
        other_org=other,
        outsider=outsider,
        stranger=UserFactory(username="stranger"),
        **people,
    )
