"""Change requests of a measure's baseline and the versions of that baseline."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from governance.models import TenantModel


class ChangeRequest(TenantModel):
    """What a ``baseline_change`` approval request proposes: the diff, why, and its impact."""

    ACCESS_VIA = "measure"

    request = models.OneToOneField(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="change"
    )
    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="change_requests"
    )
    rationale = models.TextField()
    # ``{key: {"label": …, "from": value made against, "to": new value}}`` (see .diff).
    diff = models.JSONField(default=dict)
    # Value shift per period, totals, date shifts in days, KPI target moves (see .diff).
    impact = models.JSONField(default=dict)
    # The baseline version current at submission (0: the measure had no recorded version yet).
    base_version = models.PositiveIntegerField(default=0)
    # The version this change created once applied.
    applied_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organization", "measure", "id"], name="change_req_measure_idx")
        ]

    def __str__(self) -> str:
        return f"Change request #{self.request_id}"


class BaselineVersion(TenantModel):
    """The whole baseline of a measure at one moment: version 1 frozen at Decided, each later
    one written by an applied change request."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey(
        "measures.Measure", on_delete=models.CASCADE, related_name="baseline_versions"
    )
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_request = models.ForeignKey(
        ChangeRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="versions"
    )
    # ``{"financials": {line: {"YYYY-MM": "amount"}}, "milestones": {id: {"title", "date"}},
    # "measure": {"baseline_start_date", "baseline_end_date"}, "kpis": {id: {"name", "target"}}}``
    snapshot = models.JSONField(default=dict)

    class Meta:
        ordering = ["measure_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "measure", "number"], name="baseline_version_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"Baseline v{self.number} of measure {self.measure_id}"
