"""Create, update, move, archive and restore nodes of every level of the hierarchy.

One implementation serves Portfolio, Program, Project, MeasurePackage and Measure: the rules
(codes unique per organization, dates in order, parent in the same organization and not archived,
ancestor keys denormalized on every descendant) are the same at every level.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from governance.access import can, require
from governance.audit import audit_record, field_changes
from governance.errors import StaleVersion, ValidationError
from governance.models import HierarchyNode, Membership, Organization
from governance.models.hierarchy import hierarchy_models
from governance.ripple.outbox import ripple_mark

Node = TypeVar("Node", bound=HierarchyNode)

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$")
# Fields a caller may set on any node; levels add their own (a measure's function, …).
COMMON_FIELDS = ("code", "title", "description", "owner", "sponsor", "start_date", "end_date")
USER_FIELDS = ("owner", "sponsor")

# Rules of one level beyond the common ones, registered by the app that owns the level (a
# measure's controller is not its owner, …): ``rule(values, organization_id)`` → field errors.
LevelRule = Callable[[dict[str, Any], int], dict[str, list[str]]]
LEVEL_RULES: dict[str, list[LevelRule]] = {}


def level_rule(level: str) -> Callable[[LevelRule], LevelRule]:
    """Register a validation rule for the nodes of ``level`` (run on create and update)."""

    def register(rule: LevelRule) -> LevelRule:
        LEVEL_RULES.setdefault(level, []).append(rule)
        return rule

    return register


# Rows elsewhere that copy a node's keys or fields (the measures' monthly figures) follow every
# change of the node in the same transaction: ``hook(node, event)`` with event ``"created"``,
# ``"updated"``, ``"moved"``, ``"archived"`` or ``"restored"``. Registered by the owning app.
NodeHook = Callable[[HierarchyNode, str], None]
NODE_HOOKS: list[NodeHook] = []


def on_node_change(hook: NodeHook) -> NodeHook:
    """Register ``hook`` to run after every change of a node, inside the change's transaction."""
    NODE_HOOKS.append(hook)
    return hook


def _node_changed(node: HierarchyNode, event: str) -> None:
    for hook in NODE_HOOKS:
        hook(node, event)


def user_fields(model: type[HierarchyNode]) -> tuple[str, ...]:
    """The fields of ``model`` a caller sets to a person: each must be a member."""
    extra = tuple(
        name
        for name in getattr(model, "EXTRA_FIELDS", ())
        if model._meta.get_field(name).related_model is get_user_model()
    )
    return USER_FIELDS + extra


def ancestor_keys(parent: HierarchyNode | None) -> dict[str, int]:
    """``{level_id: pk}`` for the parent and all its ancestors: what a child stores."""
    if parent is None:
        return {}
    keys = {f"{level}_id": getattr(parent, f"{level}_id") for level in parent.ancestor_levels()}
    keys[f"{parent.LEVEL}_id"] = parent.pk
    return keys


def _validate(
    *,
    model: type[HierarchyNode],
    organization_id: int,
    values: dict[str, Any],
    parent: HierarchyNode | None,
    instance_pk: int | None = None,
) -> None:
    errors: dict[str, list[str]] = {}
    code = (values.get("code") or "").strip()
    title = (values.get("title") or "").strip()
    if not code:
        errors.setdefault("code", []).append("Give the code.")
    elif not CODE_PATTERN.match(code):
        errors.setdefault("code", []).append(
            "Use up to 30 letters, digits, dots, dashes or underscores, starting with a letter "
            "or digit."
        )
    elif (
        model.objects.for_org(organization_id)
        .filter(code__iexact=code)
        .exclude(pk=instance_pk)
        .exists()
    ):
        errors.setdefault("code", []).append(
            f"The code {code} is already used by another {model._meta.verbose_name}."
        )
    if not title:
        errors.setdefault("title", []).append("Give the title.")
    elif len(title) > 200:
        errors.setdefault("title", []).append("Keep the title to 200 characters.")
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        errors.setdefault("end_date", []).append("The end date must not be before the start date.")
    for name in model.FINANCIAL_FIELDS:
        amount = values.get(name)
        if amount is not None and amount < 0:
            errors.setdefault(name, []).append("Give an amount of zero or more.")
    parent_level = model.parent_level()
    if parent_level:
        if parent is None or parent.organization_id != organization_id:
            errors.setdefault(parent_level, []).append(f"The {parent_level} does not exist.")
        elif parent.is_archived:
            errors.setdefault(parent_level, []).append(
                f"The {parent_level} {parent.code} is archived: restore it first."
            )
    for name, value in values.items():
        # Foreign keys to tenant rows (a measure's function, …) must stay inside the tenant.
        if getattr(value, "organization_id", organization_id) != organization_id:
            errors.setdefault(name, []).append(f"The {name.replace('_', ' ')} does not exist.")
    users = {name: values[name] for name in user_fields(model) if values.get(name) is not None}
    if users:
        members = set(
            Membership.objects.for_org(organization_id)
            .filter(user__in=[user.pk for user in users.values()])
            .values_list("user_id", flat=True)
        )
        for name, user in users.items():
            if user.pk not in members:
                errors.setdefault(name, []).append("Choose a member of this organization.")
    for rule in LEVEL_RULES.get(model.LEVEL, []):
        for name, messages in rule(values, organization_id).items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _clean(model: type[HierarchyNode], values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in ("code", "title"):
        if isinstance(cleaned.get(name), str):
            cleaned[name] = cleaned[name].strip()
    for name, value in values.items():
        # Text columns are never NULL: an absent text is empty.
        field = model._meta.get_field(name)
        text = isinstance(field, models.CharField | models.TextField)
        if value is None and text and not getattr(field, "null", False):
            cleaned[name] = ""
    return cleaned


def settable_fields(model: type[HierarchyNode]) -> tuple[str, ...]:
    return COMMON_FIELDS + model.FINANCIAL_FIELDS + tuple(getattr(model, "EXTRA_FIELDS", ()))


def _check_fields(model: type[HierarchyNode], values: dict[str, Any]) -> None:
    unknown = set(values) - set(settable_fields(model))
    if unknown:
        raise TypeError(f"{model.__name__} has no settable field(s): {', '.join(sorted(unknown))}")


def node_create(
    *,
    model: type[Node],
    organization: Organization,
    by: Any,
    parent: HierarchyNode | None = None,
    **values: Any,
) -> Node:
    """Create a node under ``parent`` (a portfolio has none), or raise ValidationError."""
    _check_fields(model, values)
    values = _clean(model, values)
    with transaction.atomic():
        if parent is not None:
            parent = (
                type(parent)
                .objects.for_org(organization)
                .select_for_update()
                .filter(pk=parent.pk)
                .first()
            )
        require(by, "add", parent if parent is not None else organization)
        _check_financials(by, parent if parent is not None else organization, values)
        _validate(model=model, organization_id=organization.pk, values=values, parent=parent)
        node = model(organization=organization, **ancestor_keys(parent), **values)
        node.save()
        audit_record(
            actor=by, action=f"{model.LEVEL}.created", obj=node, changes=field_changes({}, values)
        )
        _node_changed(node, "created")
    return node


def _check_financials(by: Any, scope: Any, values: dict[str, Any]) -> None:
    """Financial fields come only from people who may see them on ``scope``."""
    given = [name for name in HierarchyNode.FINANCIAL_FIELDS if name in values]
    if given and not can(by, "view_financials", scope):
        raise ValidationError(
            {name: ["Your role may not see or set financial fields here."] for name in given}
        )


def _locked(node: Node) -> Node:
    return type(node).objects.for_org(node.organization_id).select_for_update().get(pk=node.pk)


def check_version(obj: Any, expected_version: int | None) -> None:
    """Raise ``StaleVersion`` when ``expected_version`` is given and is not ``obj.version`` (a
    node, or the measure or project whose version a child object shares); call it on the row
    locked for the write."""
    if expected_version is not None and obj.version != expected_version:
        raise StaleVersion(obj.version)


def node_update(*, node: Node, by: Any, expected_version: int | None = None, **values: Any) -> Node:
    """Change a node's own fields (not its place: see ``node_move``)."""
    model = type(node)
    _check_fields(model, values)
    values = _clean(model, values)
    with transaction.atomic():
        node = _locked(node)
        require(by, "change", node)
        _check_financials(by, node, values)
        check_version(node, expected_version)
        before = {name: getattr(node, name) for name in values}
        merged = {name: getattr(node, name) for name in settable_fields(model)} | values
        _validate(
            model=model,
            organization_id=node.organization_id,
            values=merged,
            parent=node.parent,
            instance_pk=node.pk,
        )
        changes = field_changes(before, values)
        if not changes:
            return node
        for name, value in values.items():
            setattr(node, name, value)
        node.version += 1
        node.save()
        audit_record(actor=by, action=f"{model.LEVEL}.updated", obj=node, changes=changes)
        _node_changed(node, "updated")
        _ripple_if_measure(node)
    return node


def node_move(
    *, node: Node, new_parent: HierarchyNode, by: Any, expected_version: int | None = None
) -> Node:
    """Move a node (and its whole subtree) under another parent of the level above."""
    model = type(node)
    parent_level = model.parent_level()
    if parent_level is None or parent_level != new_parent.LEVEL:
        raise ValidationError(
            {"parent": [f"A {model.LEVEL} can only be moved to a {parent_level}."]}
        )
    with transaction.atomic():
        node = _locked(node)
        require(by, "move", node)
        check_version(node, expected_version)
        fresh_parent = (
            type(new_parent).objects.for_org(node.organization_id).filter(pk=new_parent.pk).first()
        )
        if fresh_parent is None:
            raise ValidationError({parent_level: [f"The {parent_level} does not exist."]})
        if fresh_parent.is_archived:
            raise ValidationError(
                {parent_level: [f"The {parent_level} {fresh_parent.code} is archived."]}
            )
        require(by, "add", fresh_parent)
        keys = ancestor_keys(fresh_parent)
        before = {key: getattr(node, key) for key in keys}
        if before == keys:
            return node
        for key, value in keys.items():
            setattr(node, key, value)
        node.version += 1
        node.save()
        # Every descendant, at every level below, carries the moved node's ancestors too.
        for descendant in hierarchy_models():
            if model.LEVEL in descendant.ancestor_levels():
                descendant.objects.for_org(node.organization_id).filter(
                    **{f"{model.LEVEL}_id": node.pk}
                ).update(**keys)
        _node_changed(node, "moved")
        # Where it landed must be a place the mover may manage, judged on the new keys.
        require(by, "move", node)
        audit_record(
            actor=by,
            action=f"{model.LEVEL}.moved",
            obj=node,
            changes={key: [before[key], value] for key, value in keys.items()},
        )
    return node


def _set_archived(node: HierarchyNode, archived_at: Any) -> None:
    for descendant in hierarchy_models():
        if node.LEVEL in descendant.ancestor_levels():
            rows = descendant.objects.for_org(node.organization_id).filter(
                **{f"{node.LEVEL}_id": node.pk}
            )
            if archived_at is None:
                rows.filter(archived_at=node.archived_at).update(archived_at=None)
            else:
                rows.filter(archived_at__isnull=True).update(archived_at=archived_at)


def _ripple_if_measure(node: HierarchyNode) -> None:
    """A measure's dates or life changed: its exception cases are recomputed after commit.
    (A whole subtree archived is caught by the nightly full recompute.)"""
    if node.LEVEL == "measure":
        ripple_mark(organization=node.organization_id, measure_ids=[node.pk])


def node_archive(*, node: Node, by: Any) -> Node:
    """Archive a node and everything under it; archived nodes leave lists but keep history."""
    with transaction.atomic():
        node = _locked(node)
        require(by, "archive", node)
        if node.is_archived:
            return node
        node.archived_at = timezone.now()
        _set_archived(node, node.archived_at)
        node.version += 1
        node.save()
        audit_record(actor=by, action=f"{node.LEVEL}.archived", obj=node)
        _node_changed(node, "archived")
        _ripple_if_measure(node)
    return node


def node_restore(*, node: Node, by: Any) -> Node:
    """Undo ``node_archive``: the node and what was archived with it come back."""
    with transaction.atomic():
        node = _locked(node)
        require(by, "archive", node)
        if not node.is_archived:
            return node
        parent = node.parent
        if parent is not None and parent.is_archived:
            raise ValidationError(
                {parent.LEVEL: [f"The {parent.LEVEL} {parent.code} is archived: restore it first."]}
            )
        _set_archived(node, None)
        node.archived_at = None
        node.version += 1
        node.save()
        audit_record(actor=by, action=f"{node.LEVEL}.restored", obj=node)
        _node_changed(node, "restored")
        _ripple_if_measure(node)
    return node
