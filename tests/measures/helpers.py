"""Measures ready for a gate, for the measures tests."""

from __future__ import annotations

from typing import Any

from governance.models import Organization
from measures.models import Measure, MeasureCategory
from measures.services.fields import category_seed_defaults
from tests.factories import (
    BusinessUnitFactory,
    FunctionFactory,
    MeasureFactory,
    MeasurePackageFactory,
)


def identified_ready(org: Organization, owner: Any, **extra: Any) -> Measure:
    """A Defined measure that meets every default criterion of Identified."""
    category_seed_defaults(organization=org)
    category = MeasureCategory.objects.for_org(org).get(code="cost_reduction")
    values = {
        "owner": owner,
        "business_reason": "Scrap costs us 2 M a year.",
        "expected_outcome": "Scrap rate below 1 %.",
        "category": category,
        **extra,
    }
    return MeasureFactory(
        package=MeasurePackageFactory(project__program__portfolio__organization=org), **values
    )


def detailed_ready(org: Organization, owner: Any, sponsor: Any, controller: Any) -> Measure:
    """A Defined measure that meets every default criterion of Identified and Detailed."""
    return identified_ready(
        org,
        owner,
        sponsor=sponsor,
        controller=controller,
        business_unit=BusinessUnitFactory(organization=org),
        function=FunctionFactory(organization=org),
        evidence_requirements="Signed scrap report per month.",
    )
