"""Who may see and do what. The one place visibility is decided.

``restrict(queryset, user, action, organization=…)`` is called by every view, API viewset, form
choice field, export, report and task that reads tenant rows on a user's behalf; ``can`` answers
the same question for one loaded object. Both fail closed: no membership, no grant → no rows,
and objects outside a user's scope therefore answer 404.

A role granted on a node reaches everything below it. Every row of the hierarchy carries the
keys of all its ancestors, so "below a node the user holds a grant on" is one subquery per level
against the permission tables (``<ancestor>_id IN (SELECT node FROM grants WHERE user …)``): the
SQL has the same shape for a user with one grant or a thousand, and no list of ids ever grows.

The user's grants in the organization are read once per request (one query, cached on the user
object): ``can`` decides from them without touching the database, and ``restrict`` uses them to
leave out subqueries of levels where the user holds nothing. Revoking a role therefore takes
effect on the next request.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache, reduce
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL

from governance.errors import AccessDenied
from governance.models import Membership, Organization
from governance.models.hierarchy import LEVELS, HierarchyNode, hierarchy_models, model_for_level
from governance.permissions import ACTIONS, Action, permission_models

__all__ = [
    "Action",
    "Grants",
    "can",
    "can_add",
    "grants_of",
    "levels_reached",
    "membership_of",
    "require",
    "restrict",
    "scope_paths",
]

ORGANIZATION = "organization"
UserGroups = get_user_model().groups.through


def membership_of(user: Any, organization: Organization | int) -> Membership | None:
    """The user's membership in the organization (``None`` if none)."""
    return grants_of(user, organization).membership


@dataclass
class Grants:
    """What one user holds in one organization: ``nodes[permission][level]`` → node ids."""

    organization_id: int
    user_id: int | None
    membership: Membership | None
    nodes: dict[str, dict[str, set[int]]] = field(default_factory=dict)
    # (level, "user" | "group") pairs that hold rows, per permission: which subqueries to run.
    sources: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # The id of each (level, codename) permission the user holds somewhere.
    permission_ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def holds(self, permission: str, level: str, node_id: int | None) -> bool:
        return node_id is not None and node_id in self.nodes.get(permission, {}).get(level, ())

    def on_organization(self, permission: str) -> bool:
        return self.holds(permission, ORGANIZATION, self.organization_id)


def node_models() -> list[type[Model]]:
    """The organization and every hierarchy level: the models roles can be granted on."""
    return [Organization, *hierarchy_models()]


def _level(model: type[Model]) -> str:
    return str(model.LEVEL)  # type: ignore[attr-defined]


def grants_of(user: Any, organization: Organization | int) -> Grants:
    """The user's membership and grants in the organization, read once per user object."""
    org_id = organization if isinstance(organization, int) else organization.pk
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    cache: dict[int, Grants] = (
        user.__dict__.setdefault("_grants", {}) if user_id is not None else {}
    )
    if org_id in cache:
        return cache[org_id]
    membership = None
    if user_id is not None:
        membership = (
            Membership.objects.for_org(org_id)
            .filter(user_id=user_id)
            .select_related("organization")
            .first()
        )
    grants = Grants(organization_id=org_id, user_id=user_id, membership=membership)
    if membership is not None and user_id is not None:
        with connection.cursor() as cursor:
            cursor.execute(_grants_sql(), [org_id, user_id] * 2 * len(node_models()))
            rows = cursor.fetchall()
        nodes: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        sources: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for level, kind, node_id, permission_id in rows:
            codename = _codename(permission_id)
            nodes[codename][level].add(node_id)
            sources[codename].add((level, kind))
            grants.permission_ids[(level, codename)] = permission_id
        grants.nodes, grants.sources = dict(nodes), dict(sources)
    if user_id is not None:
        cache[org_id] = grants
    return grants


@cache
def _grants_sql() -> str:
    """Every grant of one user in one organization: a UNION ALL of one single-table select per
    user and group permission table of every node model (params: org, user, org, user, …).
    Kept free of joins so that it plans in a fraction of a millisecond."""
    quote = connection.ops.quote_name
    memberships = UserGroups._meta.db_table
    parts = []
    for model in node_models():
        level = _level(model)
        for kind, table in zip(("user", "group"), permission_models(model), strict=True):
            node = table._meta.get_field("content_object").column
            who = (
                "user_id = %s"
                if kind == "user"
                else f"group_id IN (SELECT group_id FROM {quote(memberships)} "  # noqa: S608
                "WHERE user_id = %s)"
            )
            parts.append(
                f"SELECT '{level}', '{kind}', {quote(node)}, permission_id "  # noqa: S608
                f"FROM {quote(table._meta.db_table)} WHERE organization_id = %s AND {who}"
            )
    return " UNION ALL ".join(parts)


_codenames: dict[int, str] = {}


def _codename(permission_id: int) -> str:
    """The codename of a permission id, from a map read once (and again when an id is new)."""
    if permission_id not in _codenames:
        _codenames.clear()
        _codenames.update(Permission.objects.values_list("id", "codename"))
    return _codenames[permission_id]


def scope_paths(model: type[Model]) -> tuple[dict[str, str], str | None]:
    """How rows of ``model`` reach the hierarchy: ``({level: id path}, owner id path)``.

    A hierarchy node stores its ancestors' keys; a row that belongs to a node (a milestone of a
    measure, say) names that node's field in ``ACCESS_VIA`` and inherits its paths. A row that
    copies its node's ancestor keys itself (a read model such as the measures' monthly figures)
    names the node's level in ``ACCESS_KEYS`` and is filtered without a join; its owner path is
    ``ACCESS_OWNER`` if it copies the owner too (``""``: the row has no owner, as a sum over
    several owners' rows), else the node's. Rows of none of these kinds
    (functions, forums, members) are organization-wide.
    """
    if issubclass(model, HierarchyNode):
        paths = {level: f"{level}_id" for level in model.ancestor_levels()}
        paths[model.LEVEL] = "pk"
        return paths, "owner_id"
    carried = getattr(model, "ACCESS_KEYS", None)
    if carried is not None:
        levels = (*model_for_level(carried).ancestor_levels(), carried)
        owner = getattr(model, "ACCESS_OWNER", None)
        if owner is None:
            owner = f"{carried}__owner_id"
        return {level: f"{level}_id" for level in levels}, owner or None
    via = getattr(model, "ACCESS_VIA", None)
    if via is None:
        return {}, None
    node_model = model._meta.get_field(via).related_model
    assert isinstance(node_model, type)
    inner, owner = scope_paths(node_model)
    paths = {
        level: f"{via}_id" if path == "pk" else f"{via}__{path}" for level, path in inner.items()
    }
    return paths, f"{via}__{owner}" if owner else None


@cache
def _grant_subquery_sql(level: str, kind: str) -> str:
    """SQL of the ids of ``level`` nodes on which a user holds a permission through ``kind``
    (their own permission rows, or their groups'); params: organization, permission, user."""
    quote = connection.ops.quote_name
    model = next(model for model in node_models() if _level(model) == level)
    table = permission_models(model)[0 if kind == "user" else 1]
    node = table._meta.get_field("content_object").column
    who = (
        "user_id = %s"
        if kind == "user"
        else f"group_id IN (SELECT group_id FROM {quote(UserGroups._meta.db_table)} "  # noqa: S608
        "WHERE user_id = %s)"
    )
    return (
        f"SELECT {quote(node)} FROM {quote(table._meta.db_table)} "  # noqa: S608 (names only)
        f"WHERE organization_id = %s AND permission_id = %s AND {who}"
    )


def _grant_subquery(grants: Grants, level: str, kind: str, permission: str) -> RawSQL:
    """A subquery on one permission table: cheap to build per request and to plan, with the
    same shape whatever the number of grants."""
    params = (
        grants.organization_id,
        grants.permission_ids[(level, permission)],
        grants.user_id,
    )
    return RawSQL(_grant_subquery_sql(level, kind), params)  # noqa: S611 (ids are parameters)


def restrict(
    queryset: QuerySet[Any], user: Any, action: Action, *, organization: Organization | int
) -> QuerySet[Any]:
    """Rows of ``queryset`` in ``organization`` on which ``user`` may perform ``action``."""
    queryset = queryset.for_org(organization)  # type: ignore[attr-defined]
    grants = grants_of(user, organization)
    if grants.membership is None or grants.user_id is None:
        return queryset.none()
    rule = ACTIONS[action]
    paths, owner_path = scope_paths(queryset.model)
    if not paths and action == "view":
        return queryset  # organization-wide reference rows: every member reads them
    if not grants.on_organization(rule.permission):
        terms = [
            Q(**{f"{paths[level]}__in": _grant_subquery(grants, level, kind, rule.permission)})
            for level, kind in sorted(grants.sources.get(rule.permission, ()))
            if level in paths
        ]
        if rule.owner_may and owner_path:
            terms.append(_owner_term(queryset.model, owner_path, grants))
        if not terms:
            return queryset.none()
        queryset = queryset.filter(reduce(operator.or_, terms))
    if rule.never_own and owner_path:
        queryset = queryset.exclude(_owner_term(queryset.model, owner_path, grants))
    return queryset


def _owner_term(model: type[Model], owner_path: str, grants: Grants) -> Q:
    """Rows owned by the user. A row carrying its node's keys (``ACCESS_KEYS``) reaches the
    owner through a subquery on the node's owner index rather than a join, so that a read
    model stays one table scan however many rows it holds."""
    carried = getattr(model, "ACCESS_KEYS", None)
    via, _, rest = owner_path.partition("__")
    if carried is None or via != carried or not rest:
        return Q(**{owner_path: grants.user_id})
    node_model = model._meta.get_field(via).related_model
    assert isinstance(node_model, type)
    owned = node_model.objects.filter(  # type: ignore[attr-defined]
        organization_id=grants.organization_id, **{rest: grants.user_id}
    ).values("pk")
    return Q(**{f"{via}_id__in": owned})


def _node_keys(obj: Model) -> tuple[dict[str, int | None], int | None]:
    """``({level: node id}, owner id)`` of a loaded object, the Python twin of ``scope_paths``."""
    if isinstance(obj, HierarchyNode):
        keys = {level: getattr(obj, f"{level}_id") for level in obj.ancestor_levels()}
        keys[obj.LEVEL] = obj.pk
        return keys, obj.owner_id  # type: ignore[attr-defined]
    carried = getattr(obj, "ACCESS_KEYS", None)
    if carried is not None:
        levels = (*model_for_level(carried).ancestor_levels(), carried)
        keys = {level: getattr(obj, f"{level}_id") for level in levels}
        owner = getattr(obj, "ACCESS_OWNER", None)
        if owner == "":
            return keys, None  # sums of several owners' rows: none of them owns the row
        return keys, getattr(obj, owner) if owner else getattr(obj, carried).owner_id
    via = getattr(obj, "ACCESS_VIA", None)
    if via is None:
        return {}, None
    return _node_keys(getattr(obj, via))


def can(user: Any, action: Action, obj: Model) -> bool:
    """Whether ``user`` may perform ``action`` on the loaded object ``obj``.

    ``obj`` may be the organization itself (e.g. ``can(user, "add", org)`` for a portfolio).
    """
    org_id = obj.pk if isinstance(obj, Organization) else obj.organization_id  # type: ignore[attr-defined]
    grants = grants_of(user, org_id)
    if grants.membership is None or grants.user_id is None:
        return False
    rule = ACTIONS[action]
    if isinstance(obj, Organization):
        return grants.on_organization(rule.permission)
    keys, owner_id = _node_keys(obj)
    if not keys and action == "view":
        return True
    if rule.never_own and owner_id == grants.user_id:
        return False
    if grants.on_organization(rule.permission):
        return True
    if any(grants.holds(rule.permission, level, node_id) for level, node_id in keys.items()):
        return True
    return rule.owner_may and owner_id is not None and owner_id == grants.user_id


def can_add(user: Any, model: type[HierarchyNode], organization: Organization) -> bool:
    """Whether ``user`` may create a ``model`` node anywhere (under some parent, or at the top)."""
    if can(user, "add", organization):
        return True
    parent_level = model.parent_level()
    if parent_level is None:
        return False
    parent_model = model_for_level(parent_level)
    return restrict(parent_model.objects.all(), user, "add", organization=organization).exists()


def require(user: Any, action: Action, obj: Model) -> None:
    """Raise ``AccessDenied`` unless ``user`` may perform ``action`` on ``obj``."""
    if not can(user, action, obj):
        raise AccessDenied()


def levels_reached(user: Any, action: Action, organization: Organization | int) -> list[str]:
    """The levels (``organization`` first) at which ``user`` may ``action`` on some node through a
    grant: the level of their highest grant and every level below it. Ownership is not counted.

    It answers "may this user do this anywhere?" (an empty list: nowhere) and which levels a
    form should offer; which nodes of a level remains ``restrict``'s question.
    """
    grants = grants_of(user, organization)
    if grants.membership is None:
        return []
    held = grants.nodes.get(ACTIONS[action].permission, {})
    levels = [ORGANIZATION, *LEVELS]
    top = next((index for index, level in enumerate(levels) if held.get(level)), None)
    return [] if top is None else levels[top:]
