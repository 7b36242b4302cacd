"""The Degree of Implementation: gate criteria, transitions, side exits and their rules."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from governance.errors import AccessDenied, Conflict, StaleVersion, ValidationError
from governance.models import AuditEvent
from governance.services.hierarchy import node_update
from measures import gates
from measures.models import DoI, Measure
from measures.services.gate_fields import DEFAULT_REQUIRED, gate_settings_update
from measures.services.stages import advance_by_approval, transition
from tests.factories import MeasureFactory, MeasurePackageFactory
from tests.measures.helpers import actual_validated, detailed_ready, identified_ready

pytestmark = pytest.mark.django_db


def fresh(measure: Measure) -> Measure:
    return Measure.objects.for_org(measure.organization_id).get(pk=measure.pk)


def stage_events(measure: Measure) -> int:
    return (
        AuditEvent.objects.for_org(measure.organization_id)
        .filter(object_id=measure.pk, action="measure.stage_changed")
        .count()
    )


def bare(org) -> Measure:
    return MeasureFactory(
        package=MeasurePackageFactory(project__program__portfolio__organization=org)
    )


def test_every_identified_criterion_is_reported_when_unmet(personas):
    measure = bare(personas.org)
    assert gates.unmet(measure, DoI.IDENTIFIED) == [
        "Name the owner.",
        "Write the business reason.",
        "Write the expected outcome.",
        "Choose the category.",
    ]


def test_every_detailed_field_criterion_is_reported_when_unmet(personas):
    measure = identified_ready(personas.org, personas.owner)
    fields = DEFAULT_REQUIRED[DoI.DETAILED]
    items = [item for item in gates.checklist(measure, DoI.DETAILED) if item.key in fields]
    assert [item.problem for item in items] == [
        "Name the sponsor.",
        "Name the controller who will validate the benefit.",
        "Choose the business unit.",
        "Choose the function.",
        "Write the evidence requirements.",
    ]


def test_whitespace_does_not_count_as_written(personas):
    measure = identified_ready(personas.org, personas.owner, business_reason="   ")
    assert gates.unmet(measure, DoI.IDENTIFIED) == ["Write the business reason."]


def test_checklist_shows_met_and_unmet_criteria(personas):
    measure = identified_ready(personas.org, personas.owner, expected_outcome="")
    items = {item.key: item.met for item in gates.checklist(measure, DoI.IDENTIFIED)}
    assert items == {
        "owner": True,
        "business_reason": True,
        "expected_outcome": False,
        "category": True,
    }


def test_unmet_gate_refuses_with_every_problem_and_changes_nothing(personas):
    measure = bare(personas.org)
    with pytest.raises(Conflict) as refused:
        transition(measure, DoI.IDENTIFIED, by=personas.lead)
    assert len(refused.value.problems) == 4
    measure = fresh(measure)
    assert (measure.doi, measure.version, stage_events(measure)) == (DoI.DEFINED, 1, 0)


def test_owner_advances_a_ready_measure_with_one_audit_event(personas):
    measure = identified_ready(personas.org, personas.owner)
    moved = transition(measure, DoI.IDENTIFIED, by=personas.owner, expected_version=1)
    assert moved.doi == DoI.IDENTIFIED
    measure = fresh(measure)
    assert (measure.doi, measure.version, stage_events(measure)) == (DoI.IDENTIFIED, 2, 1)


def test_a_viewer_may_not_advance(personas):
    measure = identified_ready(personas.org, personas.owner)
    with pytest.raises(AccessDenied):
        transition(measure, DoI.IDENTIFIED, by=personas.viewer)


def test_stale_version_is_refused(personas):
    measure = identified_ready(personas.org, personas.owner)
    with pytest.raises(StaleVersion):
        transition(measure, DoI.IDENTIFIED, by=personas.owner, expected_version=7)


def test_stages_cannot_be_skipped(personas):
    measure = detailed_ready(personas.org, personas.owner, personas.lead, personas.controller)
    with pytest.raises(Conflict, match="moves on to Identified"):
        transition(measure, DoI.DETAILED, by=personas.owner)


def test_organization_tightens_a_gate(personas):
    measure = identified_ready(personas.org, personas.owner)
    gate_settings_update(
        organization=personas.org,
        by=personas.admin,
        extra_fields={"identified": ["impact_type", "owner"], "implemented": ["closure_criteria"]},
    )
    measure = fresh(measure)
    assert gates.unmet(measure, DoI.IDENTIFIED) == ["Choose the impact type."]
    assert gates.unmet(measure, DoI.IMPLEMENTED) == ["Write the closure criteria."]
    with pytest.raises(Conflict):
        transition(measure, DoI.IDENTIFIED, by=personas.owner)


def test_only_an_admin_tightens_gates_and_only_with_known_fields(personas):
    with pytest.raises(AccessDenied):
        gate_settings_update(
            organization=personas.org, by=personas.lead, extra_fields={"identified": ["budget"]}
        )
    with pytest.raises(ValidationError) as refused:
        gate_settings_update(
            organization=personas.org,
            by=personas.admin,
            extra_fields={"identified": ["password"], "defined": ["budget"]},
        )
    assert refused.value.message_dict["extra_fields"] == [
        "A gate cannot require password.",
        "defined is not a stage a gate guards.",
    ]


def test_doi_is_protected(personas):
    measure = bare(personas.org)
    with pytest.raises(AttributeError):
        measure.doi = DoI.CLOSED


def test_on_hold_resumes_where_it_was(personas):
    measure = detailed_ready(personas.org, personas.owner, personas.lead, personas.controller)
    transition(measure, DoI.IDENTIFIED, by=personas.owner)
    transition(measure, DoI.DETAILED, by=personas.owner)
    held = transition(measure, DoI.ON_HOLD, by=personas.owner)
    assert (held.doi, held.doi_before_hold) == (DoI.ON_HOLD, DoI.DETAILED)
    with pytest.raises(Conflict, match="resume to Detailed"):
        transition(measure, DoI.IDENTIFIED, by=personas.owner)
    resumed = transition(measure, DoI.DETAILED, by=personas.owner)
    assert (resumed.doi, resumed.doi_before_hold) == (DoI.DETAILED, "")
    assert stage_events(measure) == 4


def test_cancel_needs_a_reason_and_a_lead_and_is_terminal(personas):
    measure = identified_ready(personas.org, personas.owner)
    with pytest.raises(ValidationError):
        transition(measure, DoI.CANCELLED, by=personas.lead, reason="  ")
    with pytest.raises(AccessDenied):
        transition(measure, DoI.CANCELLED, by=personas.owner, reason="No longer needed.")
    cancelled = transition(measure, DoI.CANCELLED, by=personas.lead, reason="Plant closes.")
    assert (cancelled.doi, cancelled.cancel_reason) == (DoI.CANCELLED, "Plant closes.")
    with pytest.raises(Conflict, match="does not move any more"):
        transition(measure, DoI.IDENTIFIED, by=personas.lead)


def test_a_measure_on_hold_can_be_cancelled(personas):
    measure = bare(personas.org)
    transition(measure, DoI.ON_HOLD, by=personas.lead)
    assert transition(measure, DoI.CANCELLED, by=personas.lead, reason="Stop.").doi == "cancelled"


def to_detailed(personas) -> Measure:
    measure = detailed_ready(personas.org, personas.owner, personas.executive, personas.controller)
    transition(measure, DoI.IDENTIFIED, by=personas.owner)
    return transition(measure, DoI.DETAILED, by=personas.owner)


def test_decided_needs_the_sponsors_go_decision(personas):
    measure = to_detailed(personas)
    for who in (personas.owner, personas.lead):
        with pytest.raises(Conflict, match="needs the sponsor's go decision"):
            transition(measure, DoI.DECIDED, by=who)
    with pytest.raises(AccessDenied):
        advance_by_approval(measure, DoI.DECIDED, approved_by=personas.controller)
    decided = advance_by_approval(measure, DoI.DECIDED, approved_by=personas.executive)
    assert decided.doi == DoI.DECIDED


def test_closed_needs_a_controllers_validation_never_the_owners(personas):
    measure = to_detailed(personas)
    advance_by_approval(measure, DoI.DECIDED, approved_by=personas.executive)
    transition(measure, DoI.IMPLEMENTED, by=personas.owner)
    with pytest.raises(Conflict, match="needs a controller's validation"):
        transition(measure, DoI.CLOSED, by=personas.owner)
    with pytest.raises(AccessDenied):
        advance_by_approval(measure, DoI.CLOSED, approved_by=personas.owner)
    with pytest.raises(Conflict) as unvalidated:
        advance_by_approval(measure, DoI.CLOSED, approved_by=personas.controller)
    assert "validate the realised benefit" in str(unvalidated.value.problems)
    actual_validated(measure, personas.owner, personas.controller)
    closed = advance_by_approval(measure, DoI.CLOSED, approved_by=personas.controller)
    assert closed.doi == DoI.CLOSED
    assert stage_events(measure) == 5


def test_approval_cannot_skip_stages(personas):
    measure = identified_ready(personas.org, personas.owner)
    with pytest.raises(Conflict):
        advance_by_approval(measure, DoI.DECIDED, approved_by=personas.admin)


def test_entry_hooks_run_once_on_entering(personas, monkeypatch):
    calls = []
    monkeypatch.setitem(gates.HOOKS, "identified", [lambda m, by: calls.append((m.pk, by.pk))])
    measure = identified_ready(personas.org, personas.owner)
    transition(measure, DoI.IDENTIFIED, by=personas.owner)
    assert calls == [(measure.pk, personas.owner.pk)]


def test_controller_must_be_a_member_other_than_the_owner(personas):
    measure = identified_ready(personas.org, personas.owner)
    with pytest.raises(ValidationError) as refused:
        node_update(node=measure, by=personas.lead, controller=personas.owner)
    assert "controller" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        node_update(node=measure, by=personas.lead, controller=personas.outsider)
    assert refused.value.message_dict["controller"] == ["Choose a member of this organization."]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_make_exactly_one_transition(personas):
    measure = identified_ready(personas.org, personas.owner)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def request() -> None:
        try:
            barrier.wait()
            transition(
                measure, DoI.IDENTIFIED, by=type(personas.owner).objects.get(pk=personas.owner.pk)
            )
            results.append("moved")
        except Conflict as conflict:
            results.append(f"conflict: {conflict.message}")
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["conflict: The measure is already Identified.", "moved"]
    measure = fresh(measure)
    assert (measure.doi, measure.version, stage_events(measure)) == (DoI.IDENTIFIED, 2, 1)


def test_an_archived_measure_does_not_move(personas):
    from governance.services.hierarchy import node_archive

    measure = identified_ready(personas.org, personas.owner)
    node_archive(node=measure, by=personas.lead)
    with pytest.raises(Conflict, match="archived"):
        transition(measure, DoI.IDENTIFIED, by=personas.lead)
