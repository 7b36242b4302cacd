"""Capacity: the people who do the work, their available hours per month, and the hours each
measure plans (and spends) of them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from governance.models import TenantModel

# The hours of the longest month: more cannot be available or planned for one person.
MONTH_HOURS = Decimal(744)


def _hours(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=6, decimal_places=2, **kwargs)


class CapacityPerson(TenantModel):
    """Someone whose hours measures plan: a member (``user``) or not (a contractor, a team)."""

    name = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    function = models.ForeignKey(
        "governance.Function",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="capacity_people",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "capacity person"
        verbose_name_plural = "capacity people"

    def __str__(self) -> str:
        return self.name


class Availability(TenantModel):
    """The hours a person has for measures in one month."""

    person = models.ForeignKey(
        CapacityPerson, on_delete=models.CASCADE, related_name="availability"
    )
    period = models.DateField(help_text="First day of the month.")
    hours = _hours()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period"]
        verbose_name_plural = "availability"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person", "period"], name="availability_uniq"
            ),
            models.CheckConstraint(
                condition=Q(hours__gte=0) & Q(hours__lte=MONTH_HOURS), name="availability_hours"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.hours}"


class Effort(TenantModel):
    """Hours a measure plans of a person in one month, and the hours spent."""

    ACCESS_VIA = "measure"

    measure = models.ForeignKey("measures.Measure", on_delete=models.CASCADE, related_name="effort")
    person = models.ForeignKey(CapacityPerson, on_delete=models.CASCADE, related_name="effort")
    period = models.DateField(help_text="First day of the month.")
    planned_hours = _hours()
    actual_hours = _hours(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period", "person_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "measure", "person", "period"], name="effort_uniq"
            ),
            models.CheckConstraint(
                condition=Q(planned_hours__gte=0)
                & Q(planned_hours__lte=MONTH_HOURS)
                & (
                    Q(actual_hours__isnull=True)
                    | (Q(actual_hours__gte=0) & Q(actual_hours__lte=MONTH_HOURS))
                ),
                name="effort_hours",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "person", "period"], name="effort_org_person_idx")
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.planned_hours}"
