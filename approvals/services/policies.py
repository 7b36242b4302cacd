"""Approval policies: the defaults every organization starts with, and reading them.

Defaults (seeded on first use): the sponsor of the measure approves the move to Decided; the
controller of the measure validates the move to Closed (a controller's validation of the
realised benefit); the sponsor approves a change to a baseline. An organization changes them
by editing its policy rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from approvals.models import (
    GATE_PREFIX,
    KIND_CHOICES,
    ApprovalPolicy,
    ApprovalPolicyStep,
    Approver,
)
from governance.models import Organization
from measures.models import DoI


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
