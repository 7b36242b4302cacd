"""Roles, permissions and the permission tables: the only module that imports django-guardian.

A role is granted on a node (the organization, a portfolio, program, project, measure package or
measure) and reaches everything below it. Granting a role adds the user to the group of that
role on that node ("the controllers of program P"); the group holds the role's permissions on
the node in a direct-foreign-key guardian table of the node's model. Those tables carry the
organization like every tenant row, so they are scoped, indexed and row-level secured the same
way.

The permissions are the same seven codenames on every node model; an action a caller asks about
("change", "validate", …) maps to one of them, and some actions are also open to the owner of
the node itself (see ``ACTIONS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from governance.models.tenancy import PERMISSIONS, Role
from governance.models.tenant import TenantModel

Action = Literal[
    "view",
    "view_financials",
    "add",
    "change",
    "move",
    "archive",
    "contribute",
    "validate",
    "decide",
    "administer",
]


@dataclass(frozen=True)
class ActionRule:
    permission: str
    # The owner of a node may do this on that node without any grant.
    owner_may: bool = False
    # Never on a node the user owns (segregation of duties).
    never_own: bool = False


ACTIONS: dict[str, ActionRule] = {
    "view": ActionRule("node_view", owner_may=True),
    "view_financials": ActionRule("node_financials", owner_may=True),
    "add": ActionRule("node_manage"),
    "change": ActionRule("node_manage", owner_may=True),
    "move": ActionRule("node_manage"),
    "archive": ActionRule("node_manage"),
    "contribute": ActionRule("node_contribute", owner_may=True),
    "validate": ActionRule("node_validate", never_own=True),
    "decide": ActionRule("node_decide"),
    "administer": ActionRule("node_administer"),
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(PERMISSIONS),
    Role.EXECUTIVE: frozenset({"node_view", "node_financials", "node_decide"}),
    Role.LEAD: frozenset(
        {"node_view", "node_financials", "node_manage", "node_contribute", "node_decide"}
    ),
    Role.OWNER: frozenset({"node_view"}),
    Role.CONTROLLER: frozenset({"node_view", "node_financials", "node_validate"}),
    Role.CONTRIBUTOR: frozenset({"node_view", "node_contribute"}),
    Role.VIEWER: frozenset({"node_view"}),
}

ROLE_SUMMARIES: dict[str, str] = {
    Role.ADMIN: "Everything below the node: members, roles, settings, structure, financials.",
    Role.EXECUTIVE: "Reads everything below the node, financials included; decides escalations.",
    Role.LEAD: "Manages structure and measures below the node and runs its forum.",
    Role.OWNER: "Reads below the node; edits the nodes they own, with their financials.",
    Role.CONTROLLER: "Reads financials below the node; validates benefits of others' measures.",
    Role.CONTRIBUTOR: "Reads below the node; edits milestones, KPIs and risks. No financials.",
    Role.VIEWER: "Reads below the node, without financial fields.",
}


def roles_with(permission: str) -> list[str]:
    return [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


class NodeUserPermission(TenantModel, UserObjectPermissionBase):
    """A permission held by one user on one node (concrete models add ``content_object``)."""

    class Meta:
        abstract = True


class NodeGroupPermission(TenantModel, GroupObjectPermissionBase):
    """A permission a role group holds on one node, tagged with the role it belongs to."""

    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        abstract = True


def permission_models(node_model: type[models.Model]) -> tuple[Any, Any]:
    """The (user, group) permission tables of a node model, found through their foreign keys."""
    found: dict[type, type] = {}
    for relation in node_model._meta.related_objects:
        related = relation.related_model
        if relation.field.name != "content_object" or not isinstance(related, type):
            continue
        for base in (NodeUserPermission, NodeGroupPermission):
            if issubclass(related, base):
                found[base] = related
    return found[NodeUserPermission], found[NodeGroupPermission]


def node_permission_tables(node: str, name: str, module: str) -> tuple[type, type]:
    """The user and group permission tables of the node model ``node`` (an ``app.Model`` label).

    Called once per node model from its app's models module; the tables are named
    ``<Name>UserPermission`` and ``<Name>GroupPermission``.
    """
    tables = []
    for base, principal in ((NodeUserPermission, "user"), (NodeGroupPermission, "group")):
        table = f"{name.lower()}_{principal}_perm"
        meta = type(
            "Meta",
            (),
            {
                "constraints": [
                    models.UniqueConstraint(
                        fields=["organization", "content_object", "permission", principal],
                        name=f"{table}_uniq",
                    )
                ],
                "indexes": [
                    models.Index(
                        fields=["organization", principal, "permission"], name=f"{table}_idx"
                    )
                ],
            },
        )
        tables.append(
            type(
                f"{name}{principal.title()}Permission",
                (base,),
                {
                    "__module__": module,
                    "Meta": meta,
                    "content_object": models.ForeignKey(
                        node, on_delete=models.CASCADE, related_name=f"{principal}_permissions"
                    ),
                },
            )
        )
    return tables[0], tables[1]
