"""A slipping chain of measures: the set-up the exception pages and the executive's journey
share."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from governance.models import DecisionForum, ExceptionCase, ForumMember
from governance.ripple.cases import cases_recompute
from measures.models import FinancialEntry, MeasureDependency, Milestone
from tests.factories import MeasureFactory, MeasurePackageFactory


def slipping_chain(
    personas,
    *,
    measures=(("", ""),) * 3,
    benefit_on=1,
    amount=2500,
    baseline_in=20,
    slip=40,
    milestone="Supplier qualified",
    forum="Steering",
    sla_days=5,
):
    """A chain of the owner's decided measures, each depending on the one before (``measures``
    gives their codes and titles; empty ones are the factory's). The one at ``benefit_on`` has a
    forecast benefit this month; the first one's milestone, due ``baseline_in`` days from now,
    is expected ``slip`` days late. The executive sits on ``forum``. Returns the chain and the
    case the recompute opens."""
    org = personas.org
    today = timezone.localdate()
    package = MeasurePackageFactory(project__program__portfolio__organization=org)
    chain = [
        MeasureFactory(
            package=package,
            owner=personas.owner,
            doi="decided",
            **({"code": code} if code else {}),
            **({"title": title} if title else {}),
        )
        for code, title in measures
    ]
    for before, after in itertools.pairwise(chain):
        MeasureDependency.objects.create(organization=org, predecessor=before, successor=after)
    FinancialEntry.objects.create(
        organization=org,
        measure=chain[benefit_on],
        period=today.replace(day=1),
        line="benefit",
        scenario="forecast",
        amount=Decimal(amount),
    )
    baseline = today + dt.timedelta(days=baseline_in)
    Milestone.objects.create(
        organization=org,
        measure=chain[0],
        title=milestone,
        baseline_due_date=baseline,
        due_date=baseline + dt.timedelta(days=slip),
    )
    board, _ = DecisionForum.objects.for_org(org).get_or_create(
        organization=org, name=forum, defaults={"sla_days": sla_days}
    )
    ForumMember.objects.for_org(org).get_or_create(
        organization=org, forum=board, user=personas.executive
    )
    cases_recompute(organization=org)
    return chain, ExceptionCase.objects.for_org(org).get(root=chain[0])
