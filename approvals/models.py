"""Approval policies and the requests that follow them.

A policy says, per organization and kind of action (``gate:decided``, ``validation``, …), who
must approve and in which order: its steps. A request for that action copies the steps that
apply to it (by amount) at submission, each with its due date, so a later change of the policy
never changes a request already under way. Every decision on a request is one ``ApprovalAction``.

Requests, steps and actions reach the hierarchy through their measure (``ACCESS_VIA``): who may
see the measure sees its requests.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, transition

from governance.models import TenantModel
from governance.models.tenancy import Role
from measures.models import DOI_ORDER

# Kinds of action a policy governs. A gate kind names the stage the measure enters.
GATE_PREFIX = "gate:"
GATE_KINDS: tuple[str, ...] = tuple(f"{GATE_PREFIX}{stage}" for stage in DOI_ORDER[1:])
OTHER_KINDS: dict[str, str] = {
    "validation": "Validation of a realised benefit",
    "baseline_change": "Change to a baselined field",
    "spend": "Cost or budget above an amount",
}
KIND_CHOICES: list[tuple[str, str]] = [
    *[(kind, f"Gate: to {kind.removeprefix(GATE_PREFIX).title()}") for kind in GATE_KINDS],
    *OTHER_KINDS.items(),
]


def kind_label(kind: str) -> str:
    return dict(KIND_CHOICES).get(kind, kind)


class Approver(models.TextChoices):
    SPONSOR = "sponsor", "Sponsor of the measure"
    CONTROLLER = "controller", "Controller of the measure"
    ROLE = "role", "A role on the measure or above it"


class ApprovalPolicy(TenantModel):
    """Who approves one kind of action in an organization: its ordered steps."""

    kind = models.CharField(max_length=40, choices=KIND_CHOICES)
    name = models.CharField(max_length=200)
    # Bumped by every edit of the policy or its steps: the API's ETag / If-Match.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        verbose_name_plural = "approval policies"
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind"], name="approval_policy_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class ApprovalPolicyStep(TenantModel):
    """One step of a policy. Steps with the same ``order`` run in parallel; a higher order
    waits for every lower one. With ``amount_above``, the step applies only to requests whose
    amount exceeds it (a lead up to 100k, the sponsor above)."""

    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=1)
    approver = models.CharField(max_length=20, choices=Approver.choices)
    # For ``Approver.ROLE``: the role held on the measure or one of its ancestors.
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    amount_above = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    sla_days = models.PositiveSmallIntegerField(default=5)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["organization", "policy"], name="approval_pstep_idx")]

    def __str__(self) -> str:
        return f"{self.order}. {self.approver_label}"

    @property
    def approver_label(self) -> str:
        return approver_label(self.approver, self.role)


def approver_label(approver: str, role: str) -> str:
    if approver == Approver.ROLE:
        return f"{Role(role).label if role in Role.values else role} above the measure"
    return str(Approver(approver).label) if approver in Approver.values else approver


class RequestState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class ApprovalRequest(TenantModel):
    """A request to carry out an action once its approvers agree."""

    ACCESS_VIA = "measure"

    kind = models.CharField(max_length=40, choices=KIND_CHOICES)
    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="approval_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Protected: only the request services move it, through the transitions below.
    state = FSMField(default=RequestState.PENDING, choices=RequestState.choices, protected=True)
    proposed_change = models.JSONField(default=dict, blank=True)
    evidence = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    # The rejected (or withdrawn, expired) request this one resubmits.
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resubmissions"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One open request per measure and kind: a second submission is refused. Change
            # requests are left out: several may be pending on different baselined fields, and
            # approving a stale one is refused by change control (approvals.changes).
            models.UniqueConstraint(
                fields=["organization", "measure", "kind"],
                condition=Q(state="pending") & ~Q(kind="baseline_change"),
                name="approval_request_one_pending",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "state", "id"], name="approval_req_state_idx"),
            models.Index(fields=["organization", "requested_by"], name="approval_req_by_idx"),
            models.Index(fields=["organization", "measure"], name="approval_req_measure_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {kind_label(self.kind)}"

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    def refresh_from_db(self, *args: object, **kwargs: object) -> None:
        # A protected FSM field refuses every assignment once loaded, reloading included.
        fields = kwargs.get("fields")
        if fields is None or "state" in fields:  # type: ignore[operator]
            self.__dict__.pop("state", None)
        super().refresh_from_db(*args, **kwargs)  # type: ignore[arg-type]

    # Only ``approvals.services.requests`` calls these: it locks, checks and records.

    @transition(field=state, source=RequestState.PENDING, target=RequestState.APPROVED)
    def approve(self) -> None:
        """Every required step approved: the action was carried out."""

    @transition(field=state, source=RequestState.PENDING, target=RequestState.REJECTED)
    def reject(self) -> None:
        """An approver said no: back to the requester with the reason."""

    @transition(field=state, source=RequestState.PENDING, target=RequestState.WITHDRAWN)
    def withdraw(self) -> None:
        """The requester took it back."""

    @transition(field=state, source=RequestState.PENDING, target=RequestState.EXPIRED)
    def expire(self) -> None:
        """A step ran past its SLA."""


class StepState(models.TextChoices):
    WAITING = "waiting", "Waiting for an earlier step"
    ACTIVE = "active", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CLOSED = "closed", "Closed"


class ApprovalStep(TenantModel):
    """One step of a request, copied from its policy at submission."""

    ACCESS_VIA = "request"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    approver = models.CharField(max_length=20, choices=Approver.choices)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    sla_days = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=StepState.choices)
    decided_at = models.DateTimeField(null=True, blank=True)
    # When its approvers were reminded that it is due soon: each step is reminded once.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        indexes = [
            models.Index(fields=["organization", "request"], name="approval_step_req_idx"),
            models.Index(fields=["organization", "state", "due_at"], name="approval_step_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.approver_label}"

    @property
    def approver_label(self) -> str:
        return approver_label(self.approver, self.role)


class Decision(models.TextChoices):
    SUBMIT = "submit", "Submitted"
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"
    WITHDRAW = "withdraw", "Withdrawn"
    EXPIRE = "expire", "Expired"


class ApprovalAction(TenantModel):
    """One decision on a request: who, on which step, what, why."""

    ACCESS_VIA = "request"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="actions")
    step = models.ForeignKey(
        ApprovalStep, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organization", "request"], name="approval_action_req_idx")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.actor_id}"


# Change control's models live in their own module; importing them here registers them.
from approvals.changes.models import (  # noqa: E402
    BaselineVersion as BaselineVersion,
)
from approvals.changes.models import (  # noqa: E402
    ChangeRequest as ChangeRequest,
)
