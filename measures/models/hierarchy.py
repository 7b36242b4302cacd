"""Measure packages and measures: the bottom of the hierarchy, where value is delivered."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import RETURN_VALUE, FSMField, transition

from governance.models import HierarchyNode, Portfolio, Program, Project
from governance.permissions import node_permission_tables
from measures.models.financials import PotentialStatus
from measures.models.milestones import ImplementationStatus
from measures.models.settings import ImpactType, MeasureCategory
from measures.models.stages import DOI_ORDER, DoI

# Stages a measure can be put on hold from (and resumed back to): the open ones.
OPEN_STAGES: tuple[str, ...] = DOI_ORDER[:-1]


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
    EXTRA_FIELDS = (
        "function",
        "business_unit",
        "legal_entity",
        "controller",
        "category",
        "impact_type",
        "business_reason",
        "expected_outcome",
        "evidence_requirements",
        "closure_criteria",
    )

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
    legal_entity = models.ForeignKey(
        "governance.LegalEntity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        MeasureCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    impact_type = models.CharField(max_length=20, choices=ImpactType.choices, blank=True)
    business_reason = models.TextField(blank=True, help_text="Why this measure is worth doing.")
    expected_outcome = models.TextField(blank=True, help_text="What will be different when done.")
    evidence_requirements = models.TextField(
        blank=True, help_text="What evidence proves each milestone and the benefit."
    )
    closure_criteria = models.TextField(blank=True, help_text="When the measure counts as closed.")
    # The two statements below are set only through their services (measures.services.risks and
    # .dependencies), which refuse them while risks or dependencies say otherwise.
    no_material_risk = models.BooleanField(
        default=False, help_text="Risks were assessed and none is material."
    )
    no_dependencies = models.BooleanField(
        default=False, help_text="The measure depends on no other measure."
    )
    # The Degree of Implementation. Protected: only the transitions of the gate service move it.
    doi = FSMField(default=DoI.DEFINED, choices=DoI.choices, protected=True)
    # When the measure entered its current stage, was created or was restored (archiving sets
    # ``archived_at``): stage movements since a snapshot look only at the measures changed after
    # it was taken.
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    # Where a measure on hold goes back to when resumed.
    doi_before_hold = models.CharField(max_length=20, choices=DoI.choices, blank=True)
    cancel_reason = models.TextField(blank=True)
    # The latest Implementation Status report and Potential Status, copied here by the services
    # that write those rows (measures.services.figures) so that a status matrix reads no history.
    implementation_status = models.CharField(
        max_length=20, choices=ImplementationStatus.choices, blank=True, default="", editable=False
    )
    potential_status = models.CharField(
        max_length=10, choices=PotentialStatus.choices, blank=True, default="", editable=False
    )
    # The start and end dates as frozen on entering Decided (null before).
    baseline_start_date = models.DateField(null=True, blank=True)
    baseline_end_date = models.DateField(null=True, blank=True)

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
            models.Index(
                fields=["organization", "stage_entered_at"], name="measure_org_stage_entered_idx"
            ),
            models.Index(fields=["organization", "archived_at"], name="measure_org_archived_idx"),
        ]

    @property
    def is_baselined(self) -> bool:
        """Whether the measure passed Decided (on hold from there included): its plan, dates and
        KPI targets are frozen into a baseline that only a change request changes."""
        stage = self.doi_before_hold if self.doi == DoI.ON_HOLD else self.doi
        return stage in (DoI.DECIDED, DoI.IMPLEMENTED, DoI.CLOSED)

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        # A protected FSM field refuses every assignment once loaded, reloading included:
        # forget the stale value so the fresh one can be read in.
        fields = kwargs.get("fields")
        if fields is None or "doi" in fields:
            self.__dict__.pop("doi", None)
        super().refresh_from_db(*args, **kwargs)

    # The Degree of Implementation's transitions. Only ``measures.services.stages`` calls them:
    # it checks permission and gate criteria, locks the row and records the change.

    @transition(field=doi, source=DoI.DEFINED, target=DoI.IDENTIFIED)
    def identify(self) -> None:
        """Defined → Identified."""

    @transition(field=doi, source=DoI.IDENTIFIED, target=DoI.DETAILED)
    def detail(self) -> None:
        """Identified → Detailed."""

    @transition(field=doi, source=DoI.DETAILED, target=DoI.DECIDED)
    def decide(self) -> None:
        """Detailed → Decided: only through the sponsor's go decision."""

    @transition(field=doi, source=DoI.DECIDED, target=DoI.IMPLEMENTED)
    def implement(self) -> None:
        """Decided → Implemented."""

    @transition(field=doi, source=DoI.IMPLEMENTED, target=DoI.CLOSED)
    def close(self) -> None:
        """Implemented → Closed: only through a controller's validation."""

    @transition(field=doi, source=list(OPEN_STAGES), target=DoI.ON_HOLD)
    def hold(self) -> None:
        """Pause an open measure, remembering where it was."""
        self.doi_before_hold = self.doi

    @transition(field=doi, source=DoI.ON_HOLD, target=RETURN_VALUE(*OPEN_STAGES))
    def resume(self) -> str:
        """Back to the stage the measure was put on hold from."""
        stage = self.doi_before_hold or DoI.DEFINED
        self.doi_before_hold = ""
        return stage

    @transition(field=doi, source=[*OPEN_STAGES, DoI.ON_HOLD], target=DoI.CANCELLED)
    def cancel(self, reason: str) -> None:
        """Stop the measure for good, saying why."""
        self.cancel_reason = reason
        self.doi_before_hold = ""


MeasurePackageUserPermission, MeasurePackageGroupPermission = node_permission_tables(
    "measures.MeasurePackage", "MeasurePackage", __name__
)


def measures_below(node: HierarchyNode) -> models.QuerySet[Measure]:
    """The measures under ``node`` (the node itself when it is a measure), archived ones
    included."""
    lookup = {"pk": node.pk} if isinstance(node, Measure) else {f"{node.LEVEL}_id": node.pk}
    return Measure.objects.for_org(node.organization_id).filter(**lookup)


MeasureUserPermission, MeasureGroupPermission = node_permission_tables(
    "measures.Measure", "Measure", __name__
)
