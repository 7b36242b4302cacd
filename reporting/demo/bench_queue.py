"""The validation queue of a bench tenant: a controller with 10,000 claimed benefits to decide.

The bench series already make every past month's benefit actual pending, so the whole tenant
awaits validation (12 per measure). ``<slug>-queue-controller`` holds the controller role on
the first packages by code, enough of them to reach ``QUEUE_SIZE`` pending actuals; in their
scope exactly the ``QUEUE_SIZE`` lowest ids are pending and the rest validated, restored on
every run (a bulk-approval scenario leaves rows validated behind it). Their measures get a
baseline, copied from the plan as entering Decided does, so the queue's baseline column and
variance have something to compare. Everything is set-based SQL, as for the series.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Count

from governance.models import Organization, Role
from governance.rls import tenant_scope
from governance.services.grants import assign_role
from measures.models import FinancialEntry, Measure, MeasurePackage
from measures.services.figures import measure_months_refresh
from reporting.demo.organization import Person
from reporting.demo.people import members_ensure

QUEUE_SIZE = 10_000

# Baselines of the queue's measures: the plan frozen, as on entering Decided.
BASELINE_SQL = """
INSERT INTO measures_financialentry
    (organization_id, measure_id, period, line, scenario, amount, validation,
     validation_note, updated_at)
SELECT e.organization_id, e.measure_id, e.period, e.line, 'baseline', e.amount, '', '', now()
FROM measures_financialentry e
JOIN measures_measure m ON m.id = e.measure_id AND m.organization_id = e.organization_id
WHERE e.organization_id = %s AND m.package_id = ANY(%s) AND e.scenario = 'plan'
ON CONFLICT (organization_id, measure_id, period, line, scenario) DO NOTHING
"""

# In the controller's scope: the QUEUE_SIZE lowest ids pending, every later one validated.
SETTLE_SQL = """
WITH scoped AS (
    SELECT e.id, row_number() OVER (ORDER BY e.id) AS n
    FROM measures_financialentry e
    JOIN measures_measure m ON m.id = e.measure_id AND m.organization_id = e.organization_id
    WHERE e.organization_id = %s AND m.package_id = ANY(%s)
      AND e.scenario = 'actual' AND e.line = 'benefit'
)
UPDATE measures_financialentry e
SET validation = CASE WHEN s.n <= %s THEN 'pending' ELSE 'validated' END,
    validated_amount = CASE WHEN s.n <= %s THEN NULL ELSE e.amount END,
    validated_at = CASE WHEN s.n <= %s THEN NULL ELSE now() END,
    validated_by_id = CASE WHEN s.n <= %s THEN NULL ELSE %s END,
    validation_note = ''
FROM scoped s
WHERE e.id = s.id AND e.organization_id = %s
  AND e.validation <> CASE WHEN s.n <= %s THEN 'pending' ELSE 'validated' END
"""


def _packages(organization: Organization) -> list[int]:
    """The first packages by code holding at least ``QUEUE_SIZE`` benefit actuals."""
    counts = dict(
        FinancialEntry.objects.for_org(organization)
        .filter(scenario="actual", line="benefit")
        .values_list("measure__package_id")
        .annotate(total=Count("id"))
        .order_by()
    )
    chosen, total = [], 0
    for package_id in (
        MeasurePackage.objects.for_org(organization).order_by("code").values_list("id", flat=True)
    ):
        if total >= QUEUE_SIZE:
            break
        if counts.get(package_id):
            chosen.append(package_id)
            total += counts[package_id]
    return chosen


def bench_validation_queue_seed(organization: Organization, admin: Any) -> Any:
    """``<slug>-queue-controller``, controller of ``QUEUE_SIZE`` pending claimed benefits (or
    of all there are, in a tenant with fewer); returns the user."""
    slug = organization.slug
    person = Person(f"{slug}-queue-controller", "Queue", "Controller", Role.VIEWER, "Controller")
    with transaction.atomic(), tenant_scope(organization.pk):
        user = members_ensure(
            organization=organization, people=[person], email_domain=f"{slug}.example"
        )[person.username]
        packages = _packages(organization)
        for package in MeasurePackage.objects.for_org(organization).filter(pk__in=packages):
            assign_role(user, Role.CONTROLLER, package)
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, [organization.pk, packages])
            org, size = organization.pk, QUEUE_SIZE
            cursor.execute(SETTLE_SQL, [org, packages, size, size, size, size, admin.pk, org, size])
        # The verdicts written above change the validated benefit of those packages' measures.
        measure_months_refresh(
            organization_id=org,
            measure_ids=Measure.objects.for_org(org).filter(package_id__in=packages).values("pk"),
        )
    return type(user).objects.get(pk=user.pk)
