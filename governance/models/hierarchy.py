"""Portfolio → Program → Project. Measure packages and measures continue the chain in ``measures``.

Every level shares the ``HierarchyNode`` shape. Each node also carries the keys of all its
ancestors (a project knows its portfolio as well as its program), kept correct by the services
that create and move nodes, so any subtree is one indexed equality filter away.
"""

from __future__ import annotations

from typing import ClassVar

from django.apps import apps
from django.conf import settings
from django.db import models

from governance.models.tenancy import NODE_PERMISSIONS
from governance.models.tenant import TenantModel

# Top-down order of the levels below the organization. The field that points at a node of a
# level is named after the level (``portfolio``, ``program``, ``project``, ``package``).
LEVELS: tuple[str, ...] = ("portfolio", "program", "project", "package", "measure")


class HierarchyNode(TenantModel):
    """Fields every level of the hierarchy has."""

    LEVEL: ClassVar[str]
    # Shown and accepted only for users who may see this node's financials.
    FINANCIAL_FIELDS: ClassVar[tuple[str, ...]] = ("target_value", "budget")

    code = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Accountable for the outcome.",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    target_value = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Annual value this node is expected to deliver, in the organization's currency.",
    )
    budget = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="One-time cost budget, in the organization's currency.",
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every write; the API's ETag, so a stale write is refused (412).
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True
        ordering = ["code"]
        permissions = NODE_PERMISSIONS

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @classmethod
    def parent_level(cls) -> str | None:
        index = LEVELS.index(cls.LEVEL)
        return LEVELS[index - 1] if index else None

    @classmethod
    def ancestor_levels(cls) -> tuple[str, ...]:
        return LEVELS[: LEVELS.index(cls.LEVEL)]

    @property
    def parent(self) -> HierarchyNode | None:
        level = self.parent_level()
        return getattr(self, level) if level else None

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


def hierarchy_models() -> list[type[HierarchyNode]]:
    """Every concrete hierarchy model, top level first."""
    found = [
        model
        for model in apps.get_models()
        if issubclass(model, HierarchyNode) and getattr(model, "LEVEL", None) in LEVELS
    ]
    return sorted(found, key=lambda model: LEVELS.index(model.LEVEL))


def model_for_level(level: str) -> type[HierarchyNode]:
    for model in hierarchy_models():
        if level == model.LEVEL:
            return model
    raise LookupError(level)


def _code_unique(model: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["organization", "code"], name=f"{model}_code_uniq")


class Portfolio(HierarchyNode):
    LEVEL = "portfolio"

    class Meta(HierarchyNode.Meta):
        constraints = [_code_unique("portfolio")]
        indexes = [
            models.Index(fields=["organization", "archived_at"], name="portfolio_org_idx"),
            models.Index(fields=["organization", "id"], name="portfolio_org_id_idx"),
        ]


class Program(HierarchyNode):
    LEVEL = "program"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="programs")

    class Meta(HierarchyNode.Meta):
        constraints = [_code_unique("program")]
        indexes = [
            models.Index(fields=["organization", "portfolio"], name="program_org_idx"),
            models.Index(fields=["organization", "id"], name="program_org_id_idx"),
        ]


class Project(HierarchyNode):
    LEVEL = "project"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="projects")

    class Meta(HierarchyNode.Meta):
        constraints = [_code_unique("project")]
        indexes = [
            models.Index(fields=["organization", "portfolio"], name="project_org_portfolio_idx"),
            models.Index(fields=["organization", "program"], name="project_org_program_idx"),
            # Cursor pagination walks a tenant's rows by id.
            models.Index(fields=["organization", "id"], name="project_org_id_idx"),
        ]
