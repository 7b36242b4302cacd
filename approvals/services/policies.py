"""Approval policies: the defaults every organization starts with, and reading them.

Defaults (seeded on first use): the sponsor of the measure approves the move to Decided; the
controller of the measure validates the move to Closed (a controller's validation of the
realised benefit); the sponsor approves a change to a baseline. An organization changes them
by editing its policy rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from approvals.models import (
    GATE_PREFIX,
    KIND_CHOICES,
    ApprovalPolicy,
    ApprovalPolicyStep,
    Approver,
    kind_label,
)
from governance.access import require
from governance.audit import audit_record
from governance.errors import Conflict, StaleVersion, ValidationError
from governance.models import Organization, Role
from measures.models import DoI
from measures.services.financials import parse_amount


@dataclass(frozen=True)
class DefaultStep:
    approver: str
    sla_days: int
    order: int = 1
    role: str = ""


DEFAULT_POLICIES: dict[str, tuple[str, list[DefaultStep]]] = {
    f"{GATE_PREFIX}{DoI.DECIDED}": (
        "The sponsor decides",
        [DefaultStep(Approver.SPONSOR, sla_days=10)],
    ),
    f"{GATE_PREFIX}{DoI.CLOSED}": (
        "The controller validates the realised benefit",
        [DefaultStep(Approver.CONTROLLER, sla_days=10)],
    ),
    "baseline_change": (
        "The sponsor approves changes to the baseline",
        [DefaultStep(Approver.SPONSOR, sla_days=10)],
    ),
}


def policies_seed_defaults(organization: Organization | int) -> list[ApprovalPolicy]:
    """Create the default policies the organization does not have yet (idempotent)."""
    org_id = organization if isinstance(organization, int) else organization.pk
    existing = set(
        ApprovalPolicy.objects.for_org(org_id)
        .filter(kind__in=list(DEFAULT_POLICIES))
        .values_list("kind", flat=True)
    )
    created = []
    for kind, (name, steps) in DEFAULT_POLICIES.items():
        if kind in existing:
            continue
        try:
            # A concurrent first use may seed the same policy: the constraint keeps one.
            with transaction.atomic():
                policy = ApprovalPolicy.objects.create(organization_id=org_id, kind=kind, name=name)
                ApprovalPolicyStep.objects.bulk_create(
                    ApprovalPolicyStep(
                        organization_id=org_id,
                        policy=policy,
                        order=step.order,
                        approver=step.approver,
                        role=step.role,
                        sla_days=step.sla_days,
                    )
                    for step in steps
                )
        except IntegrityError:
            continue
        created.append(policy)
    return created


def policy_for(organization: Organization | int, kind: str) -> ApprovalPolicy | None:
    """The organization's policy for ``kind`` (defaults seeded on first use), with its steps."""
    org_id = organization if isinstance(organization, int) else organization.pk
    if kind in DEFAULT_POLICIES:
        policies_seed_defaults(org_id)
    return (
        ApprovalPolicy.objects.for_org(org_id).filter(kind=kind).prefetch_related("steps").first()
    )


def known_kind(kind: str) -> bool:
    return kind in dict(KIND_CHOICES)


# --- the policy editor (org admins) -------------------------------------------------------------
#
# Editing a policy never touches requests under way: a request copied its steps at submission.
# Every write locks the policy row, checks the expected version (the API's If-Match), bumps it,
# and is audited in the same transaction.

MAX_ORDER = 20
MAX_APPROVALS = 20
MAX_SLA_DAYS = 365
MAX_STEPS = 30
STEP_FIELDS = ("order", "approver", "role", "approvals_required", "amount_above", "sla_days")


def _whole(value: Any, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or value is None:
        raise ValueError(message)
    text = str(value).strip()
    if not text.lstrip("-").isdigit() or len(text) > 6:
        raise ValueError(message)
    number = int(text)
    if not low <= number <= high:
        raise ValueError(message)
    return number


def step_clean(data: dict[str, Any], errors: dict[str, list[str]], key: str = "") -> dict[str, Any]:
    """A policy step's fields from input, checked; problems go to ``errors[key + field]``."""
    clean: dict[str, Any] = {}
    checks = {
        "order": lambda v: _whole(v, 1, MAX_ORDER, f"Give an order from 1 to {MAX_ORDER}."),
        "approvals_required": lambda v: _whole(
            v, 1, MAX_APPROVALS, f"At least 1 and at most {MAX_APPROVALS} approvals."
        ),
        "sla_days": lambda v: _whole(v, 1, MAX_SLA_DAYS, "Give 1 to 365 days."),
    }
    defaults = {"order": 1, "approvals_required": 1}
    for name, check in checks.items():
        value = data.get(name, defaults.get(name))
        try:
            clean[name] = check(value)
        except ValueError as exc:
            errors[key + name] = [str(exc)]
    approver = str(data.get("approver") or "")
    if approver not in Approver.values:
        errors[key + "approver"] = ["Choose the sponsor, the controller or a role."]
    clean["approver"] = approver
    role = str(data.get("role") or "")
    if approver == Approver.ROLE and role not in Role.values:
        errors[key + "role"] = ["Choose the role that approves."]
    clean["role"] = role if approver == Approver.ROLE else ""
    above = data.get("amount_above")
    clean["amount_above"] = None
    if above is not None and not (isinstance(above, str) and not above.strip()):
        try:
            amount = parse_amount(above)
        except ValueError as exc:
            errors[key + "amount_above"] = [str(exc)]
        else:
            if amount < 0:
                errors[key + "amount_above"] = ["An amount limit is not negative."]
            clean["amount_above"] = amount
    return clean


def _name(value: Any, kind: str, errors: dict[str, list[str]]) -> str:
    name = "" if value is None else str(value).strip()
    if "\x00" in name or len(name) > 200:
        errors["name"] = ["Keep the name to 200 characters of text."]
    return name or kind_label(kind)


def _steps(values: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    if not isinstance(values, list | tuple) or not values:
        errors["steps"] = ["A policy needs at least one step."]
        return []
    if len(values) > MAX_STEPS:
        errors["steps"] = [f"At most {MAX_STEPS} steps."]
        return []
    steps = []
    for index, value in enumerate(values):
        if not isinstance(value, dict):
            errors[f"steps.{index}"] = ["Give each step as an object of fields."]
            continue
        steps.append(step_clean(value, errors, key=f"steps.{index}."))
    return steps


def _write_steps(policy: ApprovalPolicy, steps: list[dict[str, Any]]) -> None:
    ApprovalPolicyStep.objects.bulk_create(
        ApprovalPolicyStep(organization_id=policy.organization_id, policy=policy, **step)
        for step in steps
    )


def _steps_of(policy: ApprovalPolicy) -> list[dict[str, Any]]:
    return [
        {
            name: str(value) if name == "amount_above" and value is not None else value
            for name, value in row.items()
        }
        for row in ApprovalPolicyStep.objects.for_org(policy.organization_id)
        .filter(policy_id=policy.pk)
        .values(*STEP_FIELDS)
    ]


def _locked_policy(policy: ApprovalPolicy, by: Any, expected_version: int | None) -> ApprovalPolicy:
    require(by, "administer", Organization(pk=policy.organization_id))
    locked = (
        ApprovalPolicy.objects.for_org(policy.organization_id)
        .select_for_update()
        .filter(pk=policy.pk)
        .first()
    )
    if locked is None:
        raise Conflict("This policy was deleted meanwhile.")
    if expected_version is not None and expected_version != locked.version:
        raise StaleVersion(locked.version)
    return locked


def _bump(policy: ApprovalPolicy) -> None:
    policy.version += 1
    policy.save(update_fields=["version", "name", "updated_at"])


def policy_create(
    *, organization: Organization, by: Any, kind: str, name: str = "", steps: Any = None
) -> ApprovalPolicy:
    """``by`` (an org admin) creates the policy for a ``kind`` that has none, with its steps."""
    with transaction.atomic():
        require(by, "administer", organization)
        errors: dict[str, list[str]] = {}
        kind = "" if kind is None else str(kind)
        if not known_kind(kind):
            errors["kind"] = ["Choose a kind of approval: a gate, validation, change or spend."]
        name = _name(name, kind, errors)
        clean = _steps(steps, errors)
        if not errors and ApprovalPolicy.objects.for_org(organization).filter(kind=kind).exists():
            errors["kind"] = [f"{kind_label(kind)} has a policy already: edit it."]
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                policy = ApprovalPolicy.objects.create(
                    organization=organization, kind=kind, name=name
                )
        except IntegrityError:
            raise ValidationError({"kind": [f"{kind_label(kind)} has a policy already."]}) from None
        _write_steps(policy, clean)
        audit_record(
            actor=by,
            action="approval_policy.created",
            obj=policy,
            changes={"kind": kind, "name": name, "steps": _steps_of(policy)},
        )
    return policy


def policy_update(
    *,
    policy: ApprovalPolicy,
    by: Any,
    name: str | None = None,
    steps: Any = None,
    expected_version: int | None = None,
) -> ApprovalPolicy:
    """``by`` renames the policy and/or replaces all its steps (``None``: left as they are)."""
    with transaction.atomic():
        policy = _locked_policy(policy, by, expected_version)
        errors: dict[str, list[str]] = {}
        new_name = _name(name, policy.kind, errors) if name is not None else policy.name
        clean = _steps(steps, errors) if steps is not None else None
        if errors:
            raise ValidationError(errors)
        before = {"name": policy.name, "steps": _steps_of(policy)}
        policy.name = new_name
        if clean is not None:
            ApprovalPolicyStep.objects.for_org(policy.organization_id).filter(
                policy_id=policy.pk
            ).delete()
            _write_steps(policy, clean)
        _bump(policy)
        after = {"name": policy.name, "steps": _steps_of(policy)}
        audit_record(
            actor=by,
            action="approval_policy.updated",
            obj=policy,
            changes={key: [before[key], after[key]] for key in after if before[key] != after[key]},
        )
    return policy


def policy_delete(*, policy: ApprovalPolicy, by: Any, expected_version: int | None = None) -> None:
    """``by`` deletes the policy: the kind needs no approval any more (a default kind gets its
    default back on next use). Requests under way keep their steps."""
    with transaction.atomic():
        policy = _locked_policy(policy, by, expected_version)
        audit_record(
            actor=by,
            action="approval_policy.deleted",
            obj=policy,
            changes={"kind": policy.kind, "name": policy.name, "steps": _steps_of(policy)},
        )
        policy.delete()


def policy_step_add(*, policy: ApprovalPolicy, by: Any, **fields: Any) -> ApprovalPolicyStep:
    """``by`` adds a step to the policy."""
    with transaction.atomic():
        policy = _locked_policy(policy, by, fields.pop("expected_version", None))
        errors: dict[str, list[str]] = {}
        clean = step_clean(fields, errors)
        if not errors and policy.steps.count() >= MAX_STEPS:
            errors["order"] = [f"A policy has at most {MAX_STEPS} steps."]
        if errors:
            raise ValidationError(errors)
        step = ApprovalPolicyStep.objects.create(
            organization_id=policy.organization_id, policy=policy, **clean
        )
        _bump(policy)
        audit_record(
            actor=by,
            action="approval_policy.step_added",
            obj=policy,
            changes={"step": step.pk, **{k: _plain(v) for k, v in clean.items()}},
        )
    return step


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def policy_step_update(*, step: ApprovalPolicyStep, by: Any, **fields: Any) -> ApprovalPolicyStep:
    """``by`` changes one step of a policy (every field given anew)."""
    with transaction.atomic():
        policy = _locked_policy(step.policy, by, fields.pop("expected_version", None))
        errors: dict[str, list[str]] = {}
        clean = step_clean(fields, errors)
        if errors:
            raise ValidationError(errors)
        step = ApprovalPolicyStep.objects.for_org(policy.organization_id).get(pk=step.pk)
        changes = {
            name: [_plain(getattr(step, name)), _plain(value)]
            for name, value in clean.items()
            if getattr(step, name) != value
        }
        for name, value in clean.items():
            setattr(step, name, value)
        step.save()
        _bump(policy)
        audit_record(
            actor=by,
            action="approval_policy.step_changed",
            obj=policy,
            changes={"step": step.pk, **changes},
        )
    return step


def policy_step_remove(*, step: ApprovalPolicyStep, by: Any) -> None:
    """``by`` removes a step; the last one stays (delete the policy instead)."""
    with transaction.atomic():
        policy = _locked_policy(step.policy, by, None)
        if policy.steps.count() <= 1:
            raise ValidationError(
                {"step": ["A policy keeps at least one step: delete the policy instead."]}
            )
        removed = {name: _plain(getattr(step, name)) for name in STEP_FIELDS}
        ApprovalPolicyStep.objects.for_org(policy.organization_id).filter(pk=step.pk).delete()
        _bump(policy)
        audit_record(
            actor=by,
            action="approval_policy.step_removed",
            obj=policy,
            changes={"step": step.pk, **removed},
        )
