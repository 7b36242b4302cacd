"""The operating model of an organization: who does the work and who decides."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from governance.models.tenant import TenantModel


class OperatingUnit(TenantModel):
    """Shared shape of business units, functions and legal entities."""

    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BusinessUnit(OperatingUnit):
    class Meta(OperatingUnit.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="businessunit_code_uniq")
        ]


class Function(OperatingUnit):
    """A functional area (Sales, Procurement, …): dependencies cross these."""

    class Meta(OperatingUnit.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="function_code_uniq")
        ]


class LegalEntity(OperatingUnit):
    class Meta(OperatingUnit.Meta):
        verbose_name_plural = "legal entities"
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="legalentity_code_uniq")
        ]


class DecisionForum(TenantModel):
    """A steering committee or other forum that decides trade-offs for a scope of the hierarchy.

    The scope is the organization when no node is set, otherwise the most specific node given.
    Escalation goes to ``parent``.
    """

    name = models.CharField(max_length=200)
    portfolio = models.ForeignKey(
        "governance.Portfolio", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    program = models.ForeignKey(
        "governance.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(
        "governance.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    sla_days = models.PositiveSmallIntegerField(default=5, validators=[MinValueValidator(1)])
    members: models.ManyToManyField = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ForumMember", related_name="forums", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="forum_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> object | None:
        """The most specific hierarchy node this forum covers (None: the whole organization)."""
        return self.project or self.program or self.portfolio


class ForumMember(TenantModel):
    forum = models.ForeignKey(DecisionForum, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_chair = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "forum", "user"], name="forummember_uniq"
            )
        ]
