"""Members and role grants: adding people to an organization and granting roles on nodes.

A grant is "user U holds role R on node N". It is stored the django-guardian way: U joins the
group of R on N, and that group holds R's permissions on N in N's permission table (created the
first time anyone is granted R on N). Revoking removes U from the group. Both are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model

from governance.access import node_models, require
from governance.audit import audit_record
from governance.errors import ValidationError
from governance.models import MemberKind, Membership, Organization, Role
from governance.models.hierarchy import HierarchyNode, model_for_level
from governance.permissions import ROLE_PERMISSIONS, permission_models


def _organization_id(node: Model) -> int:
    return node.pk if isinstance(node, Organization) else node.organization_id  # type: ignore[attr-defined]


def _level(node: Model) -> str:
    return str(node.LEVEL)  # type: ignore[attr-defined]


def role_group_name(node: Model, role: str) -> str:
    return f"{_organization_id(node)}:{_level(node)}:{node.pk}:{role}"


def node_for(level: str, node_id: int, organization: Organization | int) -> Model | None:
    """The node of ``level`` with ``node_id`` in ``organization`` (the organization itself for
    level ``organization``), or ``None``."""
    org_id = organization if isinstance(organization, int) else organization.pk
    if level == "organization":
        return Organization.objects.filter(pk=org_id).first() if node_id == org_id else None
    return model_for_level(level).objects.for_org(org_id).filter(pk=node_id).first()


def _role_group(node: Model, role: str) -> Group:
    group, created = Group.objects.get_or_create(name=role_group_name(node, role))
    if created:
        _, group_table = permission_models(type(node))
        permissions = Permission.objects.filter(
            content_type=ContentType.objects.get_for_model(type(node)),
            codename__in=ROLE_PERMISSIONS[role],
        )
        group_table.objects.bulk_create(
            group_table(
                organization_id=_organization_id(node),
                group=group,
                permission=permission,
                content_object=node,
                role=role,
            )
            for permission in permissions
        )
    return group


def assign_role(users: Any, role: str, node: Model) -> None:
    """Give ``users`` (one user or several, members of the node's organization) ``role`` on
    ``node``; no checks. For seeds and platform code; people go through ``grant_role``."""
    if role not in ROLE_PERMISSIONS:
        raise ValidationError({"role": [f"Unknown role {role!r}."]})
    many = users if isinstance(users, list | tuple | set) else [users]
    _role_group(node, role).user_set.add(*many)


def _member(organization_id: int, user: Any) -> Membership:
    membership = Membership.objects.for_org(organization_id).filter(user=user).first()
    if membership is None:
        raise ValidationError({"user": ["Add this person to the organization first."]})
    return membership


def grant_role(*, by: Any, user: Any, role: str, node: Model) -> None:
    """``by`` (who administers ``node``) grants ``role`` on ``node`` to the member ``user``."""
    with transaction.atomic():
        require(by, "administer", node)
        membership = _member(_organization_id(node), user)
        assign_role(user, role, node)
        audit_record(
            actor=by,
            action="role.grant",
            obj=membership,
            changes={"role": [None, role], "node": [None, f"{_level(node)}:{node.pk} {node}"]},
        )


def revoke_role(*, by: Any, user: Any, role: str, node: Model) -> None:
    """``by`` revokes ``user``'s ``role`` on ``node``; effective on the user's next request."""
    with transaction.atomic():
        require(by, "administer", node)
        membership = _member(_organization_id(node), user)
        group = Group.objects.filter(name=role_group_name(node, role)).first()
        if group is None or not group.user_set.filter(pk=user.pk).exists():
            raise ValidationError({"role": ["This person does not hold this role here."]})
        group.user_set.remove(user)
        audit_record(
            actor=by,
            action="role.revoke",
            obj=membership,
            changes={"role": [role, None], "node": [f"{_level(node)}:{node.pk} {node}", None]},
        )


@dataclass(frozen=True)
class Access:
    """One reason a user can reach a node: a role granted on it or above it, or ownership."""

    user: Any
    role: str
    level: str
    node: Model
    inherited: bool

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role


def _ancestors(node: Model) -> list[Model]:
    """The node's organization, its ancestors top down, and the node itself."""
    if isinstance(node, Organization):
        return [node]
    assert isinstance(node, HierarchyNode)
    chain: list[Model] = [Organization.objects.get(pk=node.organization_id)]
    chain += [getattr(node, level) for level in node.ancestor_levels()]
    return [*chain, node]


def access_to(node: Model) -> list[Access]:
    """Everyone who can reach ``node`` and why: each role grant on it or an ancestor, top down,
    and the node's owner. One query per level of the chain."""
    org_id = _organization_id(node)
    entries: list[Access] = []
    for holder in _ancestors(node):
        _, group_table = permission_models(type(holder))
        rows = (
            group_table.objects.for_org(org_id)
            .filter(content_object_id=holder.pk, group__user__isnull=False)
            .values_list("role", "group__user")
            .distinct()
        )
        users = get_user_model().objects.in_bulk({user_id for _, user_id in rows})
        entries += [
            Access(
                user=users[user_id],
                role=role,
                level=_level(holder),
                node=holder,
                inherited=holder is not node,
            )
            for role, user_id in sorted(rows, key=lambda row: (row[0], row[1]))
        ]
    owner = getattr(node, "owner", None)
    if owner is not None:
        entries.append(
            Access(user=owner, role="owner", level=_level(node), node=node, inherited=False)
        )
    return entries


def grants_held(user: Any, organization: Organization | int) -> list[Access]:
    """Every role ``user`` holds in ``organization``, top level first."""
    org_id = organization if isinstance(organization, int) else organization.pk
    held: list[Access] = []
    for model in node_models():
        _, group_table = permission_models(model)
        rows = (
            group_table.objects.for_org(org_id)
            .filter(group__user=user)
            .values_list("role", "content_object_id")
            .distinct()
        )
        nodes = (
            Organization.objects.in_bulk({node_id for _, node_id in rows})
            if model is Organization
            else model._default_manager.for_org(org_id).in_bulk(  # type: ignore[attr-defined]
                {node_id for _, node_id in rows}
            )
        )
        held += [
            Access(
                user=user,
                role=role,
                level=_level(nodes[node_id]),
                node=nodes[node_id],
                inherited=False,
            )
            for role, node_id in sorted(rows)
        ]
    return held


def member_add(
    *,
    by: Any,
    organization: Organization,
    user: Any,
    role: str | None = None,
    title: str = "",
    kind: str = MemberKind.PERSON,
) -> Membership:
    """``by`` (an org admin) adds ``user`` to ``organization``, optionally with an org-wide role."""
    with transaction.atomic():
        require(by, "administer", organization)
        if Membership.objects.for_org(organization).filter(user=user).exists():
            raise ValidationError({"user": ["This person is already a member."]})
        membership = Membership.objects.create(
            organization=organization, user=user, title=title, kind=kind
        )
        audit_record(actor=by, action="member.add", obj=membership, changes={"kind": [None, kind]})
        if role:
            grant_role(by=by, user=user, role=role, node=organization)
        return membership


def member_remove(*, by: Any, organization: Organization, user: Any) -> None:
    """``by`` removes ``user`` from ``organization`` together with every role they hold there."""
    with transaction.atomic():
        require(by, "administer", organization)
        if user.pk == getattr(by, "pk", None):
            raise ValidationError({"user": ["You cannot remove yourself."]})
        membership = _member(organization.pk, user)
        prefix = f"{organization.pk}:"
        for group in user.groups.filter(name__startswith=prefix):
            group.user_set.remove(user)
        audit_record(actor=by, action="member.remove", obj=membership)
        membership.delete()
