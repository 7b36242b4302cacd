"""Measure packages and measures: the bottom of the hierarchy, where value is delivered."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django_fsm import FSMField

from governance.models import HierarchyNode, Portfolio, Program, Project
from governance.permissions import node_permission_tables
from measures.models.stages import DoI


class MeasurePackage(HierarchyNode):
    """A bundle of measures inside a project, usually one workstream."""

    LEVEL = "package"

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="packages")

    class Meta(HierarchyNode.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="package_code_uniq")
        ]
        indexes = [
            models.Index(fields=["organization", "program"], name="package_org_program_idx"),
            models.Index(fields=["organization", "project"], name="package_org_project_idx"),
            models.Index(fields=["organization", "id"], name="package_org_id_idx"),
        ]


class Measure(HierarchyNode):
    """The atomic, governed unit of value, with one owner for its outcome."""

    LEVEL = "measure"
    EXTRA_FIELDS = ("function", "business_unit")

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(MeasurePackage, on_delete=models.PROTECT, related_name="measures")
    function = models.ForeignKey(
        "governance.Function", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    business_unit = models.ForeignKey(
        "governance.BusinessUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    controller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Validates the realised benefit; never the owner.",
    )
    # The Degree of Implementation. Protected: only the transitions of the gate service move it.
    doi = FSMField(default=DoI.DEFINED, choices=DoI.choices, protected=True)

    class Meta(HierarchyNode.Meta):
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="measure_code_uniq")
        ]
        indexes = [
            models.Index(fields=["organization", "portfolio"], name="measure_org_portfolio_idx"),
            models.Index(fields=["organization", "program"], name="measure_org_program_idx"),
            models.Index(fields=["organization", "project"], name="measure_org_project_idx"),
            models.Index(fields=["organization", "package"], name="measure_org_package_idx"),
            models.Index(fields=["organization", "owner"], name="measure_org_owner_idx"),
            models.Index(fields=["organization", "id"], name="measure_org_id_idx"),
        ]

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        # A protected FSM field refuses every assignment once loaded, reloading included:
        # forget the stale value so the fresh one can be read in.
        fields = kwargs.get("fields")
        if fields is None or "doi" in fields:
            self.__dict__.pop("doi", None)
        super().refresh_from_db(*args, **kwargs)


MeasurePackageUserPermission, MeasurePackageGroupPermission = node_permission_tables(
    "measures.MeasurePackage", "MeasurePackage", __name__
)
MeasureUserPermission, MeasureGroupPermission = node_permission_tables(
    "measures.Measure", "Measure", __name__
)
