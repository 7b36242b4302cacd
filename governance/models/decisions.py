"""The decision log: every approval, rejection, validation, change request and trade-off.

A decision record says who decided, when, in which venue (an approval request, the controller's
validation queue, change control, a decision forum), what was decided and why. It lives in
governance, beside the forums and the audit trail, because every app writes to it (approvals,
validations and the exception cases of governance itself). Records reach the hierarchy through
their measure (``ACCESS_VIA``); a record about no measure is visible at organization level only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from governance.models.tenant import TenantModel


class DecisionKind(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired without a decision"
    VALIDATED = "validated", "Benefit validated"
    PARTIALLY_VALIDATED = "partial", "Benefit partially validated"
    VALIDATION_REJECTED = "not_validated", "Benefit not validated"
    CHANGE_APPROVED = "change_approved", "Change approved"
    CHANGE_REJECTED = "change_rejected", "Change rejected"
    TRADE_OFF = "trade_off", "Trade-off decided"


class Venue(models.TextChoices):
    APPROVAL = "approval", "Approval request"
    VALIDATION_QUEUE = "validation_queue", "Validation queue"
    CHANGE_CONTROL = "change_control", "Change control"
    FORUM = "forum", "Decision forum"


class DecisionRecord(TenantModel):
    """One decision: who, when, where, what, why. Written once, never changed."""

    ACCESS_VIA = "measure"

    kind = models.CharField(max_length=20, choices=DecisionKind.choices)
    venue = models.CharField(max_length=20, choices=Venue.choices)
    forum = models.ForeignKey(
        "governance.DecisionForum",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    measure = models.ForeignKey(
        "measures.Measure", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the decision is about (an approval request, an actual, a change request, a case).
    subject_type = models.CharField(max_length=60)
    subject_id = models.BigIntegerField()
    subject_repr = models.CharField(max_length=250)
    summary = models.CharField(max_length=500, help_text="What was decided.")
    rationale = models.TextField(blank=True, help_text="Why.")
    details = models.JSONField(default=dict, blank=True)
    # Empty when the system decided (an expiry).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "decided_at"], name="decision_org_at_idx"),
            models.Index(fields=["organization", "measure"], name="decision_org_measure_idx"),
            models.Index(
                fields=["organization", "subject_type", "subject_id"], name="decision_subject_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary[:80]}"
