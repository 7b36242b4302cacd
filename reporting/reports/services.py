"""Writes of report definitions: create, update, delete, each keeping beat's schedule in step.

Every definition has one django-celery-beat ``PeriodicTask`` (a ``CrontabSchedule`` of its five
cron fields) that sends ``reporting.report_run`` with ``{"organization_id", "definition_id"}``;
a disabled definition keeps its entry disabled. Only org admins write definitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django_celery_beat import validators as cron_validators
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from governance.access import require
from governance.audit import audit_record
from governance.errors import StaleVersion, ValidationError
from governance.models import MemberKind, Membership, Organization, Portfolio, Program, Project
from governance.models.tenancy import Role
from reporting.models import ReportDefinition, ReportFormat, ReportRecipient
from reporting.reports.sections import RENAMED, section_registry

TASK_NAME = "reporting.report_run"
TITLE_MAX = 200
MAX_RECIPIENTS = 500
CRON_FIELDS = (
    ("cron_minute", cron_validators.minute_validator, "minute"),
    ("cron_hour", cron_validators.hour_validator, "hour"),
    ("cron_day_of_month", cron_validators.day_of_month_validator, "day of the month"),
    ("cron_month_of_year", cron_validators.month_of_year_validator, "month"),
    ("cron_day_of_week", cron_validators.day_of_week_validator, "day of the week"),
)


@dataclass
class DefinitionData:
    """What a form or the API sends for a definition."""

    title: str
    sections: list[str]
    formats: list[str]
    audience_roles: list[str] = field(default_factory=list)
    recipients: list[int] = field(default_factory=list)
    portfolio: int | None = None
    program: int | None = None
    project: int | None = None
    cron_minute: str = "0"
    cron_hour: str = "7"
    cron_day_of_month: str = "*"
    cron_month_of_year: str = "*"
    cron_day_of_week: str = "1"
    email: bool = True
    enabled: bool = True


def _scope_node(organization: Organization, data: DefinitionData) -> tuple[Any, dict]:
    """The lowest node named, and the definition's three keys set from its ancestors."""
    for level, model in (("project", Project), ("program", Program), ("portfolio", Portfolio)):
        node_id = getattr(data, level)
        if node_id is None:
            continue
        node = model.objects.for_org(organization).filter(pk=node_id).first()
        if node is None:
            raise ValidationError({level: [f"Choose a {level} of this organization."]})
        keys = {"portfolio_id": None, "program_id": None, "project_id": None}
        keys[f"{level}_id"] = node.pk
        for ancestor in node.ancestor_levels():
            keys[f"{ancestor}_id"] = getattr(node, f"{ancestor}_id")
        return node, keys
    return None, {"portfolio_id": None, "program_id": None, "project_id": None}


def unknown_sections_message(unknown: list[Any]) -> str:
    """Which keys are not sections, with the widget that replaced a former section's key."""
    named = [
        f"{key} (now {RENAMED[key]})" if key in RENAMED else str(key) for key in map(str, unknown)
    ]
    return f"Unknown section: {', '.join(named)}. Sections are the dashboard widgets."


def _clean(organization: Organization, data: DefinitionData) -> tuple[dict, list[int]]:
    """Every problem of ``data`` at once, or the model fields and the recipients' ids."""
    errors: dict[str, list[str]] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = ["Give the report a title."]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"At most {TITLE_MAX} characters."]
    registry = section_registry()
    sections = list(dict.fromkeys(data.sections or []))
    if not sections:
        errors["sections"] = ["Choose at least one section."]
    elif unknown := [key for key in sections if key not in registry]:
        errors["sections"] = [unknown_sections_message(unknown)]
    formats = list(dict.fromkeys(data.formats or []))
    if not formats:
        errors["formats"] = ["Choose at least one format."]
    elif any(fmt not in ReportFormat.values for fmt in formats):
        errors["formats"] = ["Choose PDF, XLSX or CSV."]
    roles = list(dict.fromkeys(data.audience_roles or []))
    if any(role not in Role.values for role in roles):
        errors["audience_roles"] = ["Choose roles from the list."]
    recipient_ids = list(dict.fromkeys(data.recipients or []))
    if len(recipient_ids) > MAX_RECIPIENTS:
        errors["recipients"] = [f"At most {MAX_RECIPIENTS} people."]
    elif recipient_ids:
        members = set(
            Membership.objects.for_org(organization)
            .filter(user_id__in=recipient_ids, kind=MemberKind.PERSON)
            .values_list("user_id", flat=True)
        )
        if set(recipient_ids) - members:
            errors["recipients"] = ["Choose people who are members of this organization."]
    if not roles and not recipient_ids and "recipients" not in errors:
        errors["recipients"] = ["Name the audience: people, roles or both."]
    cron = {}
    for name, validator, label in CRON_FIELDS:
        value = str(getattr(data, name) or "").strip()
        try:
            if not value or any(character.isspace() for character in value):
                raise DjangoValidationError("empty")
            validator(value)
        except (DjangoValidationError, ValueError, IndexError):
            errors[name] = [
                f"Not a valid {label} for a schedule: use a number, '*', a range (1-5), "
                "a list (1,3) or a step (*/15)."
            ]
        cron[name] = value
    if not any(name in errors for name, _, _ in CRON_FIELDS):
        try:
            crontab(
                minute=cron["cron_minute"],
                hour=cron["cron_hour"],
                day_of_month=cron["cron_day_of_month"],
                month_of_year=cron["cron_month_of_year"],
                day_of_week=cron["cron_day_of_week"],
            )
        except Exception:
            errors["cron_minute"] = ["Celery beat cannot read this schedule."]
    try:
        _, keys = _scope_node(organization, data)
    except ValidationError as error:
        errors.update(error.message_dict)
        keys = {}
    if errors:
        raise ValidationError(errors)
    fields = {
        "title": title,
        "sections": sections,
        "formats": formats,
        "audience_roles": roles,
        "email": bool(data.email),
        "enabled": bool(data.enabled),
        **cron,
        **keys,
    }
    return fields, recipient_ids


def _schedule(definition: ReportDefinition) -> None:
    """Create or bring up to date the definition's beat entry."""
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=definition.cron_minute,
        hour=definition.cron_hour,
        day_of_month=definition.cron_day_of_month,
        month_of_year=definition.cron_month_of_year,
        day_of_week=definition.cron_day_of_week,
        timezone=settings.TIME_ZONE,
    )
    values = {
        "task": TASK_NAME,
        "crontab": crontab,
        "interval": None,
        "kwargs": json.dumps(
            {"organization_id": definition.organization_id, "definition_id": definition.pk}
        ),
        "enabled": definition.enabled,
        "description": f"Leadership report “{definition.title}”.",
    }
    task = definition.periodic_task
    if task is None:
        task = PeriodicTask.objects.create(
            name=f"report {definition.organization_id}:{definition.pk}", **values
        )
        ReportDefinition.objects.for_org(definition.organization_id).filter(
            pk=definition.pk
        ).update(periodic_task=task)
        definition.periodic_task = task
    else:
        for name, value in values.items():
            setattr(task, name, value)
        task.save()


def _set_recipients(definition: ReportDefinition, recipient_ids: list[int]) -> None:
    rows = ReportRecipient.objects.for_org(definition.organization_id).filter(definition=definition)
    rows.exclude(user_id__in=recipient_ids).delete()
    present = set(rows.values_list("user_id", flat=True))
    ReportRecipient.objects.bulk_create(
        ReportRecipient(
            organization_id=definition.organization_id, definition=definition, user_id=user_id
        )
        for user_id in recipient_ids
        if user_id not in present
    )


def definition_create(
    *, organization: Organization, by: Any, data: DefinitionData
) -> ReportDefinition:
    """An org admin defines a report; beat gets its schedule."""
    with transaction.atomic():
        require(by, "administer", organization)
        fields, recipient_ids = _clean(organization, data)
        definition = ReportDefinition.objects.create(
            organization=organization, created_by=by, **fields
        )
        _set_recipients(definition, recipient_ids)
        _schedule(definition)
        audit_record(
            actor=by,
            action="report.created",
            obj=definition,
            changes={"title": [None, definition.title], "cron": [None, definition.cron]},
        )
    return definition


def definition_update(
    *,
    definition: ReportDefinition,
    by: Any,
    data: DefinitionData,
    expected_version: int | None = None,
) -> ReportDefinition:
    """An org admin changes a definition (all of it); the schedule follows."""
    with transaction.atomic():
        definition = (
            ReportDefinition.objects.for_org(definition.organization_id)
            .select_for_update(of=("self",))
            .select_related("organization", "periodic_task")
            .get(pk=definition.pk)
        )
        require(by, "administer", definition.organization)
        if expected_version is not None and expected_version != definition.version:
            raise StaleVersion(definition.version)
        fields, recipient_ids = _clean(definition.organization, data)
        before = {name: getattr(definition, name) for name in fields}
        for name, value in fields.items():
            setattr(definition, name, value)
        definition.version += 1
        definition.save()
        _set_recipients(definition, recipient_ids)
        _schedule(definition)
        changes = {
            name: [str(before[name]), str(value)]
            for name, value in fields.items()
            if before[name] != value
        }
        audit_record(actor=by, action="report.updated", obj=definition, changes=changes)
    return definition


def definition_delete(
    *, definition: ReportDefinition, by: Any, expected_version: int | None = None
) -> None:
    """An org admin deletes a definition, its schedule, its runs and their stored files."""
    from django.core.files.storage import default_storage

    from reporting.models import ReportFile

    with transaction.atomic():
        definition = (
            ReportDefinition.objects.for_org(definition.organization_id)
            .select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=definition.pk)
        )
        require(by, "administer", definition.organization)
        if expected_version is not None and expected_version != definition.version:
            raise StaleVersion(definition.version)
        stored = list(
            ReportFile.objects.for_org(definition.organization_id)
            .filter(run__definition=definition)
            .values_list("file", flat=True)
        )
        audit_record(
            actor=by,
            action="report.deleted",
            obj=definition,
            changes={"title": [definition.title, None]},
        )
        task_id = definition.periodic_task_id
        definition.delete()
        if task_id is not None:
            PeriodicTask.objects.filter(pk=task_id).delete()

        def remove_files() -> None:
            for name in stored:
                default_storage.delete(name)

        transaction.on_commit(remove_files)
