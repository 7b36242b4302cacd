"""Members and role grants: adding people to an organization and granting roles on nodes.

A grant is "user U holds role R on node N". It is stored the django-guardian way: U joins the
group of R on N, and that group holds R's permissions on N in N's permission table (created the
first time anyone is granted R on N). Revoking removes U from the group. Both are audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import IntegerField, Model, Q, QuerySet, Value

from governance.access import node_models, require
from governance.audit import audit_record
from governance.errors import ValidationError
from governance.models import ApiToken, MemberKind, Membership, Organization, Role
from governance.models.hierarchy import LEVELS, HierarchyNode, model_for_level
from governance.permissions import ROLE_PERMISSIONS, permission_models
from governance.services.tokens import token_revoke

# Top-down order of the levels a role can be granted on.
GRANT_LEVELS: tuple[str, ...] = ("organization", *LEVELS)
_ROLE_ORDER = {role: index for index, role in enumerate(Role.values)}


def _organization_id(node: Model) -> int:
    return node.pk if isinstance(node, Organization) else node.organization_id  # type: ignore[attr-defined]


def _level(node: Model | type[Model]) -> str:
    return str(node.LEVEL)  # type: ignore[attr-defined,union-attr]


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


def _holds(user: Any, role: str, node: Model) -> bool:
    return Group.objects.filter(name=role_group_name(node, role), user=user).exists()


def grant_role(*, by: Any, user: Any, role: str, node: Model) -> None:
    """``by`` (who administers ``node``) grants ``role`` on ``node`` to the member ``user``."""
    with transaction.atomic():
        require(by, "administer", node)
        membership = _member(_organization_id(node), user)
        if role not in ROLE_PERMISSIONS:
            raise ValidationError({"role": [f"Unknown role {role!r}."]})
        if _holds(user, role, node):
            raise ValidationError(
                {"role": [f"{_person(user)} already holds this role on {_node_label(node)}."]}
            )
        assign_role(user, role, node)
        audit_record(
            actor=by,
            action="role.grant",
            obj=membership,
            changes={"role": [None, role], "node": [None, f"{_level(node)}:{node.pk} {node}"]},
        )


def revoke_role(*, by: Any, user: Any, role: str, node: Model) -> None:
    """``by`` revokes ``user``'s ``role`` on ``node``; effective on the user's next request.

    The organization keeps at least one org admin: the last one's role cannot be revoked.
    """
    with transaction.atomic():
        require(by, "administer", node)
        membership = _member(_organization_id(node), user)
        group = Group.objects.select_for_update().filter(name=role_group_name(node, role)).first()
        if group is None or not group.user_set.filter(pk=user.pk).exists():
            raise ValidationError({"role": ["This person does not hold this role here."]})
        if (
            role == Role.ADMIN
            and isinstance(node, Organization)
            and group.user_set.count() == 1  # locked above: two admins cannot revoke each other
        ):
            raise ValidationError(
                {"role": ["The organization needs an admin: make someone else admin first."]}
            )
        group.user_set.remove(user)
        audit_record(
            actor=by,
            action="role.revoke",
            obj=membership,
            changes={"role": [role, None], "node": [f"{_level(node)}:{node.pk} {node}", None]},
        )


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def _node_label(node: Model) -> str:
    return str(node) if isinstance(node, Organization) else f"{_level(node)} {node}"


@dataclass(frozen=True)
class Access:
    """One reason a user can reach a node: a role granted on it or above it, or ownership."""

    user: Any
    role: str
    level: str
    node: Model
    inherited: bool
    # The owner of the node, who reaches it (and only it) without any grant.
    implicit: bool = False

    @property
    def role_label(self) -> str:
        if self.implicit:
            return "Owner"
        if self.role == Role.ADMIN and self.level != "organization":
            return "Admin"  # "Org admin" is the role on the organization itself
        return Role(self.role).label if self.role in Role.values else self.role


def _ancestors(node: Model, organization: Organization | None = None) -> list[Model]:
    """The node's organization, its ancestors top down, and the node itself."""
    if isinstance(node, Organization):
        return [node]
    assert isinstance(node, HierarchyNode)
    if organization is None or organization.pk != node.organization_id:
        organization = Organization.objects.get(pk=node.organization_id)
    chain: list[Model] = [organization]
    chain += [getattr(node, level) for level in node.ancestor_levels()]
    return [*chain, node]


def access_to(node: Model, *, organization: Organization | None = None) -> list[Access]:
    """Everyone who can reach ``node`` and why: each role grant on it or an ancestor, top down,
    and the node's owner. Two queries whatever the depth (one more without ``organization``)."""
    org_id = _organization_id(node)
    chain = _ancestors(node, organization)
    rows: QuerySet[Any] | None = None
    for index, holder in enumerate(chain):
        _, group_table = permission_models(type(holder))
        part = (
            group_table.objects.for_org(org_id)
            .filter(content_object_id=holder.pk, group__user__isnull=False)
            .values_list(Value(index, output_field=IntegerField()), "role", "group__user")
        )
        rows = part if rows is None else rows.union(part)  # UNION drops repeated permissions
    found = list(rows or ())
    users = get_user_model().objects.in_bulk({user_id for _, _, user_id in found})
    found.sort(key=lambda row: (row[0], _ROLE_ORDER.get(row[1], 99), _person(users[row[2]])))
    entries = [
        Access(
            user=users[user_id],
            role=role,
            level=_level(chain[index]),
            node=chain[index],
            inherited=chain[index] is not node,
        )
        for index, role, user_id in found
    ]
    owner = getattr(node, "owner", None)
    if owner is not None:
        entries.append(
            Access(
                user=owner,
                role=Role.OWNER,
                level=_level(node),
                node=node,
                inherited=False,
                implicit=True,
            )
        )
    return entries


def grants_held_by(
    users: Iterable[Any], organization: Organization | int
) -> dict[int, list[Access]]:
    """Every role each of ``users`` holds in ``organization``, top level first, by user id.

    One query for the grants of all of them and one per level that holds any, whatever the
    number of users: the members page calls it once per page.
    """
    org_id = organization if isinstance(organization, int) else organization.pk
    people = {user.pk: user for user in users}
    held: dict[int, list[Access]] = {user_id: [] for user_id in people}
    if not people:
        return held
    rows: QuerySet[Any] | None = None
    for model in node_models():
        _, group_table = permission_models(model)
        part = (
            group_table.objects.for_org(org_id)
            .filter(group__user__in=list(people))
            .values_list(Value(_level(model)), "role", "content_object_id", "group__user")
        )
        rows = part if rows is None else rows.union(part)  # UNION drops repeated permissions
    found = list(rows or ())
    wanted: dict[str, set[int]] = defaultdict(set)
    for level, _, node_id, _ in found:
        wanted[level].add(node_id)
    nodes: dict[str, dict[int, Any]] = {}
    for level, node_ids in wanted.items():
        if level == "organization":
            org = organization if isinstance(organization, Organization) else None
            nodes[level] = {org.pk: org} if org else Organization.objects.in_bulk(node_ids)
        else:
            nodes[level] = model_for_level(level).objects.for_org(org_id).in_bulk(node_ids)
    found.sort(key=lambda row: (GRANT_LEVELS.index(row[0]), _ROLE_ORDER.get(row[1], 99), row[2]))
    for level, role, node_id, user_id in found:
        held[user_id].append(
            Access(
                user=people[user_id],
                role=role,
                level=level,
                node=nodes[level][node_id],
                inherited=False,
            )
        )
    return held


def grants_held(user: Any, organization: Organization | int) -> list[Access]:
    """Every role ``user`` holds in ``organization``, top level first."""
    return grants_held_by([user], organization)[user.pk]


def member_add(
    *,
    by: Any,
    organization: Organization,
    user: Any,
    role: str | None = None,
    title: str = "",
    kind: str = MemberKind.PERSON,
) -> Membership:
    """``by`` (an org admin) adds ``user`` to ``organization``, optionally with an org-wide role.

    An integrator is an API-only account: one that has no usable password and so cannot log in.
    """
    with transaction.atomic():
        require(by, "administer", organization)
        if kind not in MemberKind.values:
            raise ValidationError({"kind": [f"Choose one of {', '.join(MemberKind.values)}."]})
        if role and role not in ROLE_PERMISSIONS:
            raise ValidationError({"role": [f"Unknown role {role!r}."]})
        if kind == MemberKind.INTEGRATOR and user.has_usable_password():
            raise ValidationError(
                {
                    "kind": [
                        "An integrator is an API-only account that cannot log in, and this one "
                        "can: create a new account for the integration instead."
                    ]
                }
            )
        if Membership.objects.for_org(organization).filter(user=user).exists():
            raise ValidationError({"user": [f"{_person(user)} is already a member."]})
        membership = Membership.objects.create(
            organization=organization, user=user, title=title.strip(), kind=kind
        )
        audit_record(actor=by, action="member.add", obj=membership, changes={"kind": [None, kind]})
        if role:
            grant_role(by=by, user=user, role=role, node=organization)
        return membership


def user_by_identifier(identifier: str) -> Any:
    """The active account whose username (preferred) or email is ``identifier``, any case."""
    identifier = identifier.strip()
    if not identifier:
        raise ValidationError({"identifier": ["Give the username or email of the account."]})
    candidates = list(
        get_user_model()
        .objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier))
        .order_by("pk")[:10]
    )
    by_username = [user for user in candidates if user.username.lower() == identifier.lower()]
    matches = by_username or candidates
    if not matches:
        raise ValidationError(
            {"identifier": ["No account has this username or email: create a new account."]}
        )
    if len(matches) > 1:
        raise ValidationError({"identifier": ["Several accounts match: give the exact username."]})
    if not matches[0].is_active:
        raise ValidationError({"identifier": ["This account is deactivated."]})
    return matches[0]


def member_add_existing(
    *,
    by: Any,
    organization: Organization,
    identifier: str,
    role: str | None = None,
    title: str = "",
    kind: str = MemberKind.PERSON,
) -> Membership:
    """``by`` adds the existing account named by username or email to ``organization``."""
    with transaction.atomic():
        require(by, "administer", organization)  # before the lookup: no probing of accounts
        user = user_by_identifier(identifier)
        return member_add(
            by=by, organization=organization, user=user, role=role, title=title, kind=kind
        )


def member_create(
    *,
    by: Any,
    organization: Organization,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    role: str | None = None,
    title: str = "",
    kind: str = MemberKind.PERSON,
) -> Membership:
    """``by`` creates an account and adds it to ``organization``.

    The account has no usable password: a person needs one set for them before they can log in
    (there is no self-service reset yet); an integrator never logs in and uses API tokens.
    """
    user_model = get_user_model()
    with transaction.atomic():
        require(by, "administer", organization)
        email = user_model.objects.normalize_email(email.strip())
        user = user_model(
            username=username.strip(),
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        user.set_unusable_password()
        errors: dict[str, list[str]] = {}
        try:
            user.full_clean(exclude=["password"])
        except DjangoValidationError as error:
            errors.update(error.message_dict)
        if kind == MemberKind.PERSON and not email:
            errors.setdefault("email", []).append("Give the person's email address.")
        elif email and user_model.objects.filter(email__iexact=email).exists():
            errors.setdefault("email", []).append(
                "An account with this email exists: add it as an existing account."
            )
        if errors:
            raise ValidationError(errors)
        user.save()
        return member_add(
            by=by, organization=organization, user=user, role=role, title=title, kind=kind
        )


def member_remove(*, by: Any, organization: Organization, user: Any) -> None:
    """``by`` removes ``user`` from ``organization`` with every role and permission they hold
    there and their API tokens for it, so adding them again later starts from nothing."""
    with transaction.atomic():
        require(by, "administer", organization)
        if user.pk == getattr(by, "pk", None):
            raise ValidationError({"user": ["You cannot remove yourself."]})
        membership = _member(organization.pk, user)
        prefix = f"{organization.pk}:"
        for group in user.groups.filter(name__startswith=prefix):
            group.user_set.remove(user)
        for model in node_models():
            user_table, _ = permission_models(model)
            user_table.objects.for_org(organization).filter(user=user).delete()
        tokens = ApiToken.objects.for_org(organization).filter(user=user, revoked_at__isnull=True)
        for token in tokens:
            token_revoke(token=token, by=by)
        audit_record(actor=by, action="member.remove", obj=membership)
        membership.delete()
