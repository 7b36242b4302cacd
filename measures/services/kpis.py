"""Writes to KPIs and their monthly values, the KPI reads pages and the API share, and the
freezing of targets when a measure enters Decided.

Who may write: whoever may ``contribute`` to the KPI's measure or project (owners, contributors,
leads, admins above it). Every bad value is reported per field and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Model, OuterRef, Q, QuerySet, Subquery

from governance.access import Action, require, restrict
from governance.audit import audit_record
from governance.errors import ValidationError
from governance.models import Membership, Organization, Project
from governance.ripple.outbox import ripple_mark
from governance.services.hierarchy import check_version
from measures import gates
from measures.models import Direction, DoI, Kpi, KpiValue, Measure, ReviewFrequency
from measures.services.financials import parse_period
from measures.tabs import tab

# Beyond this (in either direction) a value is a typo, not a measurement.
VALUE_LIMIT = Decimal(10) ** 12
KPI_FIELDS = ("name", "unit", "direction", "baseline", "target", "review_frequency", "owner")


def parse_value(value: Any, *, required: bool = False) -> Decimal | None:
    """A KPI value from user input (``None`` when blank and not required), or ``ValueError``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError("Give a value.")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("Give a number.")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("_", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{str(value)[:40]!r} is not a number.") from None
    if not number.is_finite():
        raise ValueError("Give a finite number.")
    if abs(number) >= VALUE_LIMIT:
        raise ValueError("Values must stay below 1,000,000,000,000 in either direction.")
    if number != number.quantize(Decimal("0.0001")):
        raise ValueError("Use at most four decimal places.")
    return number.quantize(Decimal("0.0001"))


def _parent_of(kpi: Kpi) -> Model:
    organization_id = kpi.organization_id
    if kpi.measure_id:
        return Measure.objects.for_org(organization_id).get(pk=kpi.measure_id)
    return Project.objects.for_org(organization_id).get(pk=kpi.project_id)


# --- Reads ------------------------------------------------------------------------------------


def kpis_visible(user: Any, organization: Organization | int, action: Action = "view") -> QuerySet:
    """KPIs whose measure or project ``user`` may ``action``: the one visibility rule of KPIs."""
    measures = restrict(Measure.objects.all(), user, action, organization=organization)
    projects = restrict(Project.objects.all(), user, action, organization=organization)
    return Kpi.objects.for_org(organization).filter(
        Q(measure__in=measures.values("pk")) | Q(project__in=projects.values("pk"))
    )


def with_latest(kpis: QuerySet) -> QuerySet:
    """Annotate ``latest_period`` and ``latest_actual``: the newest month with an actual."""
    latest = KpiValue.objects.filter(
        organization_id=OuterRef("organization_id"), kpi_id=OuterRef("pk"), actual__isnull=False
    ).order_by("-period")
    return kpis.annotate(
        latest_period=Subquery(latest.values("period")[:1]),
        latest_actual=Subquery(latest.values("actual")[:1]),
    )


@dataclass(frozen=True)
class Variance:
    value: Decimal | None
    verdict: str  # "favourable", "unfavourable" or "" without an actual


def variance_of(kpi: Kpi, actual: Decimal | None) -> Variance:
    """Actual - target, and whether that is good news in the KPI's direction."""
    favourable = kpi.favourable(actual)
    verdict = "" if favourable is None else "favourable" if favourable else "unfavourable"
    return Variance(kpi.variance(actual), verdict)


# --- Writes -----------------------------------------------------------------------------------


def _clean(
    organization: Organization | int, values: dict[str, Any], *, partial: bool
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    unknown = set(values) - set(KPI_FIELDS)
    if unknown:
        raise TypeError(f"No such KPI field(s): {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    def wanted(name: str) -> bool:
        return name in values or not partial

    if wanted("name"):
        name = str(values.get("name") or "").strip()
        if not name:
            errors["name"] = ["Give the KPI a name."]
        elif len(name) > 200:
            errors["name"] = ["Keep the name to 200 characters."]
        clean["name"] = name
    if wanted("unit"):
        unit = str(values.get("unit") or "").strip()
        if len(unit) > 30:
            errors["unit"] = ["Keep the unit to 30 characters."]
        clean["unit"] = unit
    for name, choices in (("direction", Direction), ("review_frequency", ReviewFrequency)):
        if not wanted(name):
            continue
        value = values.get(name)
        if not value and name == "review_frequency":
            value = ReviewFrequency.MONTHLY
        if value not in choices.values:
            errors[name] = [f"Choose one of {', '.join(choices.values)}."]
        clean[name] = value
    for name in ("baseline", "target"):
        if not wanted(name):
            continue
        try:
            clean[name] = parse_value(values.get(name), required=name == "target")
        except ValueError as exc:
            errors[name] = [str(exc)]
    if wanted("owner"):
        owner = values.get("owner")
        owner_id = getattr(owner, "pk", owner)
        if owner_id in (None, ""):
            clean["owner"] = None
        elif (
            type(owner_id) is not int
            or not Membership.objects.for_org(organization).filter(user_id=owner_id).exists()
        ):
            errors["owner"] = ["Choose a member of this organization."]
        else:
            clean["owner"] = get_user_model().objects.get(pk=owner_id)
    return clean, errors


def _bump(kpi: Kpi) -> None:
    # A KPI's targets and values belong to its measure's (or project's) plan: that version (the
    # API's ETag) moves with them.
    model: type[Measure] | type[Project] = Measure if kpi.measure_id else Project
    model.objects.for_org(kpi.organization_id).filter(  # type: ignore[attr-defined]
        pk=kpi.measure_id or kpi.project_id
    ).update(version=F("version") + 1)


def _locked_parent(kpi: Kpi, expected_version: int | None) -> Model:
    """The KPI's measure or project, locked; ``StaleVersion`` when ``expected_version`` is not
    its version."""
    model: type[Measure] | type[Project] = Measure if kpi.measure_id else Project
    parent = (
        model.objects.for_org(kpi.organization_id)  # type: ignore[attr-defined]
        .select_for_update()
        .get(pk=kpi.measure_id or kpi.project_id)
    )
    check_version(parent, expected_version)
    return parent


def kpi_create(
    *,
    organization: Organization,
    by: Any,
    measure: Measure | None = None,
    project: Project | None = None,
    **values: Any,
) -> Kpi:
    """A new KPI of a measure or of a project (exactly one of the two)."""
    if (measure is None) == (project is None):
        raise ValidationError({"measure": ["Give either a measure or a project, not both."]})
    parent: Model = measure or project  # type: ignore[assignment]
    if parent.organization_id != organization.pk:  # type: ignore[attr-defined]
        raise ValidationError({"measure": ["Choose a measure or project of this organization."]})
    with transaction.atomic():
        require(by, "contribute", parent)
        clean, errors = _clean(organization, values, partial=False)
        if errors:
            raise ValidationError(errors)
        kpi = Kpi.objects.create(
            organization=organization, measure=measure, project=project, **clean
        )
        _bump(kpi)
        audit_record(
            actor=by,
            action="kpi.created",
            obj=kpi,
            changes={name: str(value) for name, value in clean.items()},
        )
    return kpi


BASELINED_TARGET = (
    "The target is baselined (the measure passed Decided): it changes only through a change "
    "request (the measure's Baseline tab, or POST …/measures/<id>/change-requests/)."
)


def _target_baselined(kpi: Kpi) -> bool:
    """Whether the KPI's target is part of its measure's baseline (frozen at Decided)."""
    if not kpi.measure_id or kpi.target_baseline is None:
        return False
    measure = Measure.objects.for_org(kpi.organization_id).get(pk=kpi.measure_id)
    return measure.is_baselined


def kpi_update(*, kpi: Kpi, by: Any, expected_version: int | None = None, **values: Any) -> Kpi:
    """Change a KPI's definition; the frozen target baseline stays as it was frozen, and once
    the measure passed Decided its baselined target changes only through a change request.
    ``expected_version`` is the version of the KPI's measure or project."""
    with transaction.atomic():
        kpi = Kpi.objects.for_org(kpi.organization_id).select_for_update().get(pk=kpi.pk)
        require(by, "contribute", _parent_of(kpi))
        _locked_parent(kpi, expected_version)
        clean, errors = _clean(kpi.organization_id, values, partial=True)
        if "target" in clean and clean["target"] != kpi.target and _target_baselined(kpi):
            errors.setdefault("target", []).append(BASELINED_TARGET)
        if errors:
            raise ValidationError(errors)
        changes = {
            name: [str(getattr(kpi, name)), str(value)]
            for name, value in clean.items()
            if getattr(kpi, name) != value
        }
        if not changes:
            return kpi
        for name, value in clean.items():
            setattr(kpi, name, value)
        kpi.save()
        _bump(kpi)
        audit_record(actor=by, action="kpi.changed", obj=kpi, changes=changes)
        ripple_mark(organization=kpi.organization_id, measure_ids=[kpi.measure_id])
    return kpi


def kpi_delete(*, kpi: Kpi, by: Any, expected_version: int | None = None) -> None:
    """Remove a KPI and its values; ``expected_version`` is that of its measure or project."""
    with transaction.atomic():
        kpi = Kpi.objects.for_org(kpi.organization_id).select_for_update().get(pk=kpi.pk)
        require(by, "contribute", _parent_of(kpi))
        _locked_parent(kpi, expected_version)
        audit_record(actor=by, action="kpi.deleted", obj=kpi, changes={"name": kpi.name})
        ripple_mark(organization=kpi.organization_id, measure_ids=[kpi.measure_id])
        _bump(kpi)
        Kpi.objects.for_org(kpi.organization_id).filter(pk=kpi.pk).delete()


def kpi_value_upsert(
    *,
    kpi: Kpi,
    period: Any,
    by: Any,
    actual: Any = None,
    forecast: Any = None,
    commentary: Any = "",
    expected_version: int | None = None,
) -> KpiValue:
    """Record a month's actual and forecast (blank: not known) with a commentary;
    ``expected_version`` is the version of the KPI's measure or project."""
    with transaction.atomic():
        kpi = Kpi.objects.for_org(kpi.organization_id).select_for_update().get(pk=kpi.pk)
        require(by, "contribute", _parent_of(kpi))
        _locked_parent(kpi, expected_version)
        errors: dict[str, list[str]] = {}
        parsed: dict[str, Any] = {}
        try:
            month: dt.date = parse_period(period, kpi.organization)
        except ValueError as exc:
            errors["period"] = [str(exc)]
        for name, raw in (("actual", actual), ("forecast", forecast)):
            try:
                parsed[name] = parse_value(raw)
            except ValueError as exc:
                errors[name] = [str(exc)]
        if commentary is None:
            commentary = ""
        if not isinstance(commentary, str):
            errors["commentary"] = ["Give the commentary as text."]
        elif len(commentary) > 4000:
            errors["commentary"] = ["Keep the commentary to 4,000 characters."]
        if errors:
            raise ValidationError(errors)
        row, _created = KpiValue.objects.for_org(kpi.organization_id).update_or_create(
            organization_id=kpi.organization_id,
            kpi=kpi,
            period=month,
            defaults={**parsed, "commentary": commentary.strip(), "updated_by": by},
        )
        _bump(kpi)
        audit_record(
            actor=by,
            action="kpi.value_recorded",
            obj=kpi,
            changes={
                "period": f"{month:%Y-%m}",
                "actual": str(row.actual),
                "forecast": str(row.forecast),
            },
        )
        ripple_mark(organization=kpi.organization_id, measure_ids=[kpi.measure_id])
    return row


@gates.on_enter(DoI.DECIDED)
def kpi_targets_freeze(measure: Measure, by: Any) -> None:
    """Entering Decided freezes each KPI target of the measure into its target baseline."""
    frozen = (
        Kpi.objects.for_org(measure.organization_id)
        .filter(measure_id=measure.pk)
        .update(target_baseline=F("target"))
    )
    if frozen:
        audit_record(
            actor=by, action="measure.kpi_targets_frozen", obj=measure, changes={"kpis": frozen}
        )


tab("kpis", "KPIs", "measure-kpis")
