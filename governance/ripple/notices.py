"""Who hears about an exception case, and how: its owners (of the root and of every impacted
measure) and the members of the forum that must decide are notified, and integrators get the
webhook event, when it opens, escalates or is decided."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse

from governance.models import ExceptionCase, ForumMember, ImpactedMeasure
from governance.notifications import notify
from governance.webhooks import webhook_emit

MESSAGES = {
    "case.opened": ("New exception: {cause} at {code}", "{count} measure(s) reached; {forum}."),
    "case.escalated": (
        "Exception escalated to {forum}: {cause} at {code}",
        "It was not decided in time, or was sent up.",
    ),
    "case.decided": ("Exception decided: {cause} at {code}", "Decision: {decision}."),
}


def _people(case: ExceptionCase) -> list[Any]:
    owners = set(
        ImpactedMeasure.objects.for_org(case.organization_id)
        .filter(case=case, measure__owner_id__isnull=False)
        .values_list("measure__owner_id", flat=True)
    )
    forum = set(
        ForumMember.objects.for_org(case.organization_id)
        .filter(forum_id=case.forum_id)
        .values_list("user_id", flat=True)
    )
    return list(get_user_model().objects.filter(pk__in=owners | forum))


def case_notify(case: ExceptionCase, kind: str, *, actor: Any = None, slug: str = "") -> None:
    """Tell the case's owners and forum that it opened, escalated or was decided, and emit the
    webhook event of the same name (inside the caller's transaction)."""
    subject, body = MESSAGES[kind]
    fields = {
        "cause": case.get_cause_display(),
        "code": case.root.code,
        "count": case.impacted_count,
        "forum": case.forum.name if case.forum else "no forum: the root's deciders",
        "decision": case.get_decision_display() if case.decision else "",
    }
    slug = slug or case.organization.slug
    notify(
        recipients=_people(case),
        kind=kind,
        subject=subject.format(**fields),
        body=body.format(**fields),
        link=reverse("exception-case", kwargs={"org_slug": slug, "pk": case.pk}),
        obj=case,
        actor=actor,
    )
    webhook_emit(
        organization=case.organization_id,
        event=kind,
        payload={
            "case_id": case.pk,
            "cause": case.cause,
            "state": case.state,
            "root_measure_id": case.root_id,
            "root_code": case.root.code,
            "slip_days": case.slip_days,
            "impacted_count": case.impacted_count,
            "value_at_risk": case.value_at_risk,
            "forum": case.forum.name if case.forum else None,
            "escalations": case.escalations,
            "decision": case.decision or None,
        },
    )
