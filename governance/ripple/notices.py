"""Who hears about an exception case, and how: its owners (of the root and of every impacted
measure) and the members of the forum that must decide are notified, and integrators get the
webhook event, when it opens, escalates or is decided.

A recompute that opens more than ``RIPPLE_DIGEST_AFTER`` cases at once (the first full recompute
of a tenant, say, or a slip that reaches across the portfolio) tells each person once, listing
their new cases, instead of once per case: a thousand cases are not a thousand e-mails. Webhook
events stay one per case, since integrators act on each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from governance.models import ExceptionCase, ForumMember, ImpactedMeasure
from governance.notifications import notify
from governance.webhooks import webhook_emit
from measures.models import Measure

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


DIGEST_LISTED = 20  # cases named in a digest; the link to the inbox shows them all


def cases_opened_notify(cases: Sequence[ExceptionCase], *, slug: str) -> None:
    """Announce the cases one recompute opened: one notification per case and person while
    they are few, else one digest per person; one webhook event per case either way."""
    if len(cases) <= settings.RIPPLE_DIGEST_AFTER:
        for case in cases:
            case_notify(case, "case.opened", slug=slug)
        return
    organization_id = cases[0].organization_id
    roots = Measure.objects.for_org(organization_id).in_bulk({case.root_id for case in cases})
    for case in cases:
        case.root = roots[case.root_id]
        _webhook(case, "case.opened")
    ids = [case.pk for case in cases]
    forums = {case.pk: case.forum_id for case in cases if case.forum_id is not None}
    theirs: dict[int, set[int]] = defaultdict(set)  # person → their new cases
    for case_id, owner_id in (
        ImpactedMeasure.objects.for_org(organization_id)
        .filter(case_id__in=ids, measure__owner_id__isnull=False)
        .values_list("case_id", "measure__owner_id")
        .distinct()
    ):
        theirs[owner_id].add(case_id)
    members: dict[int, set[int]] = defaultdict(set)
    for forum_id, user_id in (
        ForumMember.objects.for_org(organization_id)
        .filter(forum_id__in=set(forums.values()))
        .values_list("forum_id", "user_id")
    ):
        members[forum_id].add(user_id)
    for case_id, forum_id in forums.items():
        for user_id in members.get(forum_id, ()):
            theirs[user_id].add(case_id)
    by_id = {case.pk: case for case in cases}
    people = get_user_model().objects.in_bulk(list(theirs))
    link = reverse("exception-inbox", kwargs={"org_slug": slug})
    for user_id, case_ids in sorted(theirs.items()):
        mine = sorted((by_id[pk] for pk in case_ids), key=lambda c: (-c.value_at_risk, c.pk))
        lines = [
            f"#{case.pk} {case.get_cause_display()} at {case.root.code}"
            f" ({case.impacted_count} measure(s) reached)"
            for case in mine[:DIGEST_LISTED]
        ]
        if len(mine) > DIGEST_LISTED:
            lines.append(f"… and {len(mine) - DIGEST_LISTED} more in the exception inbox.")
        notify(
            recipients=[people.get(user_id)],
            kind="case.digest",
            subject=f"{len(mine)} new exception case(s) for you",
            body="\n".join(lines),
            link=f"{link}?state=open",
            obj=mine[0],
        )


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
    _webhook(case, kind)


def _webhook(case: ExceptionCase, kind: str) -> None:
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
            "reach": case.reach,
            "value_at_risk": case.value_at_risk,
            "forum": case.forum.name if case.forum else None,
            "escalations": case.escalations,
            "decision": case.decision or None,
        },
    )
