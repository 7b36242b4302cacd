"""Since the last report: the DoI funnel's movements and the top slips count from the latest
snapshot."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from governance.models import ExceptionCase
from governance.services.hierarchy import node_archive, node_restore
from measures.models import DOI_ORDER, DoI, Measure
from measures.services.stages import transition
from reporting.models import SnapshotMeasure
from reporting.selectors.snapshots import stage_changes
from reporting.services.snapshots import snapshot_take
from reporting.widgets.base import Filters, Scope
from reporting.widgets.exceptions import top_slips
from reporting.widgets.value import FUNNEL_STAGES, doi_funnel
from tests.factories import MeasureFactory
from tests.reporting.data import generate

pytestmark = pytest.mark.django_db


def test_funnel_counts_the_measures_that_moved_since_the_snapshot(personas):
    world = generate(personas.org, 80, seed=8)
    snapshot_take(
        organization=personas.org,
        kind="manual",
        period=timezone.localdate(),
        now=timezone.now() - dt.timedelta(days=3),
    )
    before = dict(Measure.objects.for_org(personas.org).values_list("pk", "doi"))
    moved = [m for m in world.measures if m.doi == "identified" and not m.archived_at][:5]
    Measure.objects.for_org(personas.org).filter(pk__in=[m.pk for m in moved]).update(
        doi="detailed"
    )
    new = MeasureFactory(package=world.measures[0].package, doi="defined")

    table = doi_funnel(Scope(personas.org, personas.executive, Filters()))
    entered, left = Counter(), Counter()
    assert moved
    left["identified"] += len(moved)
    entered["detailed"] += len(moved)
    entered["defined"] += 1
    assert new.pk not in before
    assert [(row["entered"], row["left"]) for row in table.rows] == [
        (entered[stage], left[stage]) for stage in FUNNEL_STAGES
    ]
    assert "snapshot of" in table.note


def test_top_slips_count_from_the_snapshot(personas):
    world = generate(personas.org, 60, seed=9)
    taken = timezone.now() - dt.timedelta(days=30)
    snapshot_take(organization=personas.org, kind="manual", period=timezone.localdate(), now=taken)
    table = top_slips(Scope(personas.org, personas.executive, Filters()))
    expected = sorted(
        (
            case
            for case in ExceptionCase.objects.for_org(personas.org).select_related("root")
            if case.state == "open"
            and case.opened_at >= taken
            and case.slip_days > 0
            and case.root.archived_at is None
        ),
        key=lambda case: (-case.slip_days, -case.value_at_risk, -case.pk),
    )[:10]
    assert [row["slip_days"] for row in table.rows] == [case.slip_days for case in expected]
    assert "since the latest snapshot" in table.note
    assert world.measures


def brute_changes(org, snapshot) -> dict[str, tuple[int, int]]:
    """Every measure's stage in the snapshot against now (live measures only), in Python."""
    then = dict(
        SnapshotMeasure.objects.for_org(org)
        .filter(snapshot=snapshot)
        .values_list("measure_id", "stage")
    )
    now = dict(
        Measure.objects.for_org(org).filter(archived_at__isnull=True).values_list("pk", "doi")
    )
    entered = Counter(stage for pk, stage in now.items() if then.get(pk) != stage)
    left = Counter(stage for pk, stage in then.items() if now.get(pk) != stage)
    return {stage: (entered[stage], left[stage]) for stage in FUNNEL_STAGES}


def test_movements_read_only_the_measures_changed_since_and_equal_the_brute_force(personas):
    """A transition, an archive, a restore and a new measure after the snapshot: the movements
    equal comparing every measure, and the unchanged measures are not read."""
    org, admin = personas.org, personas.admin
    world = generate(org, 60, seed=11)
    live = [m for m in world.measures if m.archived_at is None]
    archived_before = Measure.objects.for_org(org).filter(archived_at__isnull=False).first()
    snapshot = snapshot_take(organization=org, kind="manual", period=timezone.localdate())
    held = next(m for m in live if m.doi in DOI_ORDER and m.doi != "closed")
    transition(Measure.objects.for_org(org).get(pk=held.pk), DoI.ON_HOLD, admin)
    node_archive(node=live[-1], by=admin)
    if archived_before is not None:
        node_restore(node=archived_before, by=admin)
    MeasureFactory(package=world.measures[0].package, doi="detailed")
    scope = Scope(org, personas.executive, Filters())
    changes = stage_changes(scope, snapshot)
    assert changes == brute_changes(org, snapshot)
    assert changes[DoI.ON_HOLD][0] >= 1 and changes[held.doi][1] >= 1
    changed = Measure.objects.for_org(org).filter(stage_entered_at__gt=snapshot.taken_at)
    assert changed.count() <= 3  # the held, restored and new measures only
