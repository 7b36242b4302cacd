"""The ripple outbox: services mark measures dirty in their transaction; after commit one task
per organization recomputes and removes the marks; the sweep finds marks a lost message left."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from governance.models import CaseState, Cause, ExceptionCase, RippleDirty
from governance.ripple.outbox import ripple_mark, ripple_process
from governance.tasks import ripple_sweep_task
from measures.models import Milestone
from measures.services.milestones import milestone_update
from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def late_milestone(personas):
    measure = MeasureFactory(
        package__project__program__portfolio__organization=personas.org,
        owner=personas.owner,
        doi="decided",
    )
    baseline = TODAY + dt.timedelta(days=30)
    milestone = Milestone.objects.create(
        organization=personas.org,
        measure=measure,
        title="Line converted",
        baseline_due_date=baseline,
        due_date=baseline,
    )
    return measure, milestone


def recomputes(callbacks):
    """The callbacks that ask for a ripple recompute (others send mail, webhooks …)."""
    from functools import partial

    from governance.ripple.outbox import _enqueue

    return [c for c in callbacks if isinstance(c, partial) and c.func is _enqueue]


def marks(org):
    return set(RippleDirty.objects.for_org(org).values_list("measure_id", flat=True))


def test_a_recorded_slip_marks_its_measure_and_the_task_opens_the_case(
    personas, django_capture_on_commit_callbacks
):
    measure, milestone = late_milestone(personas)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        milestone_update(
            milestone=milestone,
            by=personas.owner,
            due_date=f"{milestone.due_date + dt.timedelta(days=20):%Y-%m-%d}",
        )
        assert marks(personas.org) == {measure.pk}
    assert len(recomputes(callbacks)) == 1
    assert marks(personas.org) == set()
    case = ExceptionCase.objects.for_org(personas.org).get()
    assert case.cause == Cause.MILESTONE_SLIP and case.slip_days == 20
    assert case.state == CaseState.OPEN


def test_many_marks_in_one_transaction_ask_for_one_recompute(
    personas, django_capture_on_commit_callbacks
):
    first, _ = late_milestone(personas)
    second, _ = late_milestone(personas)
    with django_capture_on_commit_callbacks() as callbacks:
        ripple_mark(organization=personas.org, measure_ids=[first.pk])
        ripple_mark(organization=personas.org, measure_ids=[second.pk, first.pk])
    assert len(recomputes(callbacks)) == 1
    assert marks(personas.org) == {first.pk, second.pk}


def test_a_lost_message_is_caught_by_the_sweep(personas, django_capture_on_commit_callbacks):
    measure, milestone = late_milestone(personas)
    Milestone.objects.for_org(personas.org).filter(pk=milestone.pk).update(
        due_date=milestone.due_date + dt.timedelta(days=9)
    )
    # The mark commits, its message never arrives (the callback is not run).
    with django_capture_on_commit_callbacks(execute=False):
        ripple_mark(organization=personas.org, measure_ids=[measure.pk])
    assert marks(personas.org) == {measure.pk}
    assert not ExceptionCase.objects.for_org(personas.org).exists()
    assert ripple_sweep_task.delay().get() == 1
    assert marks(personas.org) == set()
    assert ExceptionCase.objects.for_org(personas.org).get().slip_days == 9


def test_processing_with_nothing_marked_does_nothing(personas):
    assert ripple_process(organization=personas.org) is None


def test_the_command_recomputes_an_organization(personas, capsys):
    from django.core.management import call_command

    _, milestone = late_milestone(personas)
    Milestone.objects.for_org(personas.org).filter(pk=milestone.pk).update(
        due_date=milestone.due_date + dt.timedelta(days=3)
    )
    call_command("ripple_recompute", "--org", "acme")
    assert "acme: 1 root cause(s); opened 1" in capsys.readouterr().out
    call_command("ripple_recompute", "--org", "acme", "--pending")
    assert "nothing pending" in capsys.readouterr().out
    with pytest.raises(Exception, match="No organization"):
        call_command("ripple_recompute", "--org", "nowhere")
