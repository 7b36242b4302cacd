"""Organizations (tenants) and who belongs to them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from governance.models.tenant import TenantModel

# The permissions a role is made of, by codename; every node model declares all of them.
PERMISSIONS: dict[str, str] = {
    "node_view": "See the node and everything below it",
    "node_financials": "See financial fields (amounts, budgets, costs, validated values)",
    "node_manage": "Create, edit, move and archive nodes and measures below it",
    "node_contribute": "Edit milestones, KPIs and risks of measures below it",
    "node_validate": "Validate or reject realised benefits below it",
    "node_decide": "Decide escalated exceptions below it",
    "node_administer": "Grant and revoke roles below it; organization settings on the root",
}
NODE_PERMISSIONS = tuple(PERMISSIONS.items())


class Organization(models.Model):
    """A tenant: one company's whole execution-governance space."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    currency = models.CharField(
        max_length=3,
        default="EUR",
        validators=[RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, e.g. EUR.")],
        help_text="ISO 4217 code every amount of this organization is in.",
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    LEVEL = "organization"

    class Meta:
        ordering = ["name"]
        permissions = NODE_PERMISSIONS

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """Roles granted on a node of the hierarchy (see ``governance.permissions``)."""

    ADMIN = "admin", "Org admin"
    EXECUTIVE = "executive", "Executive"
    LEAD = "lead", "Lead"
    OWNER = "owner", "Measure owner"
    CONTROLLER = "controller", "Controller"
    CONTRIBUTOR = "contributor", "Contributor"
    VIEWER = "viewer", "Viewer"


class MemberKind(models.TextChoices):
    PERSON = "person", "Person"
    INTEGRATOR = "integrator", "Integrator (API only)"


class Membership(TenantModel):
    """A user's membership in an organization. What they may do comes from role grants."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    kind = models.CharField(max_length=20, choices=MemberKind.choices, default=MemberKind.PERSON)
    title = models.CharField(max_length=120, blank=True, help_text="Job title, for display.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="membership_unique_user_per_org"
            )
        ]
        indexes = [models.Index(fields=["user", "organization"], name="membership_user_org_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization_id}"

    @property
    def is_integrator(self) -> bool:
        return self.kind == MemberKind.INTEGRATOR
