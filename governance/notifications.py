"""Notifications: tell people what awaits them or what became of their request.

``notify`` writes one in-app row per recipient in bulk, inside the caller's transaction, and
sends the e-mails through Django's e-mail backend only once that transaction commits
(``transaction.on_commit`` enqueues ``governance.notifications_email``): a decision that is
rolled back leaves neither a row nor a message. The acting person is never told of their own
action; a person without an e-mail address gets the in-app row only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from governance.access import restrict
from governance.errors import AccessDenied
from governance.models import Notification, Organization

SUBJECT_MAX = 200


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    obj: models.Model,
    actor: Any = None,
) -> list[Notification]:
    """Notify ``recipients`` (users) about ``obj`` (a tenant row); e-mail after commit.

    Inactive accounts, repeats and the ``actor`` are left out. Returns the rows written.
    """
    org_id: int = obj.organization_id  # type: ignore[attr-defined]
    actor_id = getattr(actor, "pk", None)
    people: dict[int, Any] = {}
    for person in recipients:
        if person is None or person.pk == actor_id or not getattr(person, "is_active", True):
            continue
        people.setdefault(person.pk, person)
    if not people:
        return []
    rows = Notification.objects.bulk_create(
        Notification(
            organization_id=org_id,
            recipient_id=person_id,
            kind=kind,
            subject=subject[:SUBJECT_MAX],
            body=body,
            link=link,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
        )
        for person_id in sorted(people)
    )
    ids = [row.pk for row in rows]

    def send() -> None:
        from governance.tasks import notifications_email_task

        notifications_email_task.delay(organization_id=org_id, notification_ids=ids)

    transaction.on_commit(send)
    return rows


def _message(row: Notification) -> EmailMessage:
    body = row.body
    if row.link:
        url = f"{settings.THROUGHLINE_BASE_URL.rstrip('/')}{row.link}"
        body = f"{body}\n\n{url}" if body else url
    return EmailMessage(
        subject=row.subject,
        body=body,
        to=[row.recipient.email],  # type: ignore[attr-defined]
    )


def notifications_email(*, organization_id: int, notification_ids: list[int]) -> int:
    """Send the e-mails of these notifications not sent yet; returns how many went out.

    Safe to run twice: rows are locked and marked sent in the same transaction.
    """
    with transaction.atomic():
        rows = list(
            Notification.objects.for_org(organization_id)
            .filter(pk__in=notification_ids, emailed_at__isnull=True)
            .select_related("recipient")
            .select_for_update(skip_locked=True, of=("self",))
        )
        messages = [_message(row) for row in rows if row.recipient.email]  # type: ignore[attr-defined]
        if messages:
            get_connection().send_messages(messages)
        Notification.objects.for_org(organization_id).filter(
            pk__in=[row.pk for row in rows]
        ).update(emailed_at=timezone.now())
    return len(messages)


# --- reading and marking read ---------------------------------------------------------------


def notifications_of(user: Any, organization: Organization | int) -> QuerySet[Notification]:
    """The user's own notifications in the organization, newest first."""
    return (
        restrict(Notification.objects.all(), user, "view", organization=organization)
        .filter(recipient_id=user.pk)
        .order_by("-id")
    )


def notifications_unread_count(user: Any, organization: Organization | int) -> int:
    """How many of the user's notifications in the organization are unread (one query)."""
    return notifications_of(user, organization).filter(read_at__isnull=True).count()


def notification_mark_read(*, notification: Notification, by: Any) -> Notification:
    """``by`` marks their own notification read (reading it twice changes nothing)."""
    if notification.recipient_id != getattr(by, "pk", None):
        raise AccessDenied("This notification is someone else's.")
    with transaction.atomic():
        if notification.read_at is None:
            notification.read_at = timezone.now()
            Notification.objects.for_org(notification.organization_id).filter(
                pk=notification.pk, read_at__isnull=True
            ).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, by: Any, organization: Organization | int) -> int:
    """``by`` marks all their unread notifications in the organization read; returns how many."""
    with transaction.atomic():
        return (
            notifications_of(by, organization)
            .filter(read_at__isnull=True)
            .update(read_at=timezone.now())
        )
