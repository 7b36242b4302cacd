"""Exception cases: what a slip or a miss does downstream, and the forum that must decide.

A case is opened per root cause (the measure where it arises and the kind of cause) and lists
every measure the cause reaches with its projected slip and value at risk. It stays open until a
member of its forum records a trade-off decision, or until the cause clears (closed with that
reason). ``RippleDirty`` is the outbox: a service that records a change marks the measure dirty
in its own transaction, and a worker (or the periodic sweep, should a message be lost) recomputes
the cases it touches and removes the mark.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from governance.models.tenant import TenantModel


class Cause(models.TextChoices):
    MILESTONE_SLIP = "milestone_slip", "Milestone later than its baseline"
    STATUS_OFF_TRACK = "status_off_track", "Implementation Status off track"
    VALUE_BELOW = "value_below", "Potential Status below threshold"
    COST_OVER = "cost_over", "Cost actual over budget"
    CAPACITY_OVER = "capacity_over", "Planned hours over capacity"
    APPROVAL_OVERDUE = "approval_overdue", "Approval past its SLA"
    KPI_MISS = "kpi_miss", "KPI missing its target"


class TradeOff(models.TextChoices):
    ACCEPT = "accept", "Accept the impact"
    REPLAN = "replan", "Re-plan the affected measures"
    MITIGATE = "mitigate", "Mitigate"
    ESCALATE = "escalate", "Escalate to the next forum"
    SACRIFICE = "sacrifice", "Sacrifice another objective"


class CaseState(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"
    CLEARED = "cleared", "Cause cleared"


class ExceptionCase(TenantModel):
    """One root cause and its ripple. ``fingerprint`` is a hash of the computed impact: the
    recompute rewrites a case only when it changed, so running it twice writes nothing."""

    ACCESS_VIA = "root"

    root = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="exception_cases"
    )
    cause = models.CharField(max_length=20, choices=Cause.choices)
    state = models.CharField(max_length=10, choices=CaseState.choices, default=CaseState.OPEN)
    detail = models.JSONField(default=dict, blank=True, help_text="What the cause found.")
    slip_days = models.IntegerField(default=0, help_text="The root's own slip.")
    value_at_risk = models.DecimalField(
        max_digits=18, decimal_places=2, default=0, help_text="Within the current fiscal year."
    )
    impacted_count = models.PositiveIntegerField(default=0)
    reach = models.JSONField(
        default=dict,
        blank=True,
        help_text="The programs, projects and functions the impacted measures belong to: "
        '{"programs": [id, …], "projects": […], "functions": […]}, as of the last change of the '
        "impact.",
    )
    forum = models.ForeignKey(
        "governance.DecisionForum",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    escalations = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)
    decision = models.CharField(
        max_length=10, blank=True, choices=TradeOff.choices, help_text="The trade-off chosen."
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # The idempotence key: one open case per root measure and cause.
            models.UniqueConstraint(
                fields=["organization", "root", "cause"],
                condition=Q(state="open"),
                name="exception_case_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "state", "opened_at"], name="case_org_state_idx"),
            models.Index(fields=["organization", "root"], name="case_org_root_idx"),
            models.Index(fields=["organization", "forum", "state"], name="case_org_forum_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_cause_display()}"


class ImpactedMeasure(TenantModel):
    """A measure a case reaches: how late it is projected and what that puts at risk."""

    ACCESS_VIA = "case"

    case = models.ForeignKey(ExceptionCase, on_delete=models.CASCADE, related_name="impacted")
    measure = models.ForeignKey("measures.Measure", on_delete=models.CASCADE, related_name="+")
    # The measure the slip arrives from (empty for the root).
    via = models.ForeignKey(
        "measures.Measure", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    depth = models.PositiveIntegerField(default=0)
    slip_days = models.IntegerField(default=0)
    value_at_risk = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # {"YYYY-MM": "amount"} for every month the slip changes.
    risk_by_period = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["depth", "measure_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "case", "measure"], name="impacted_measure_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "measure"], name="impacted_org_measure_idx")
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} +{self.slip_days}d"


class RippleDirty(TenantModel):
    """The outbox: a measure whose change has not been rippled yet. Marks are only ever
    inserted (a measure may be marked twice): an insert waits for no other transaction, so
    marking never adds a lock a writer could deadlock on."""

    measure_id = models.BigIntegerField()
    marked_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "marked_at"], name="ripple_dirty_at_idx")]

    def __str__(self) -> str:
        return f"dirty {self.measure_id}"


class MitigationAction(TenantModel):
    """What a forum decided to do about a case: an owner, a due date, done or not."""

    ACCESS_VIA = "case"

    case = models.ForeignKey(ExceptionCase, on_delete=models.CASCADE, related_name="mitigations")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mitigations"
    )
    due_date = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["organization", "owner", "done_at"], name="mitigation_owner_idx"),
            models.Index(fields=["organization", "case"], name="mitigation_case_idx"),
        ]

    def __str__(self) -> str:
        return self.title
