"""What each organization configures about its measures: categories and tightened gates."""

from __future__ import annotations

from typing import Any

from django.db import models

from governance.models import Organization
from governance.models.tenant import TenantModel

# The categories every organization starts with; an admin may rename, add or archive them.
DEFAULT_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("cost_reduction", "Cost reduction"),
    ("revenue_growth", "Revenue growth"),
    ("working_capital", "Working capital"),
    ("cost_avoidance", "Cost avoidance"),
    ("non_financial", "Non-financial"),
)


class ImpactType(models.TextChoices):
    PNL = "pnl", "P&L"
    CASH = "cash", "Cash"
    NON_FINANCIAL = "non_financial", "Non-financial"


class MeasureCategory(TenantModel):
    """What kind of value a measure delivers (cost reduction, …), configured per organization."""

    code = models.CharField(max_length=30)
    name = models.CharField(max_length=100)
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "measure categories"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code"], name="measurecategory_code_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def choices_for(cls, organization: Organization | int) -> models.QuerySet[Any]:
        """The categories a measure may be given: the defaults appear on first use."""
        from measures.services.fields import category_seed_defaults

        category_seed_defaults(organization=organization)
        return cls.objects.for_org(organization).filter(archived=False)


class GateSettings(TenantModel):
    """An organization's tightening of the gates: more fields required before a stage.

    ``extra_fields`` maps a stage (``"identified"``, …) to the measure fields that must be filled
    in before entering it, on top of the defaults. Validated by ``gate_settings_update``; the
    defaults themselves cannot be relaxed.
    """

    extra_fields = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "gate settings"
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="gatesettings_org_uniq")
        ]

    def __str__(self) -> str:
        return f"Gate settings of organization {self.organization_id}"

    def required(self, stage: str) -> list[str]:
        fields = (self.extra_fields or {}).get(str(stage), [])
        return [str(name) for name in fields] if isinstance(fields, list) else []
