"""The report definition form: types and choices only; the rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from governance.forms.base import BootstrapBoundField  # noqa: F401  (rendered by FORM_RENDERER)
from governance.models import MemberKind, Membership, Organization, Portfolio, Program, Project
from governance.models.tenancy import Role
from reporting.models import ReportDefinition, ReportFormat
from reporting.reports.sections import section_choices
from reporting.reports.services import DefinitionData

ORGANIZATION = "organization"


def scope_choices(organization: Organization) -> list[tuple[str, str]]:
    """The whole organization, then every live portfolio, program and project."""
    choices = [(ORGANIZATION, f"The whole organization ({organization.name})")]
    for level, model in (("portfolio", Portfolio), ("program", Program), ("project", Project)):
        nodes = (
            model.objects.for_org(organization)
            .filter(archived_at__isnull=True)
            .order_by("code")
            .values_list("pk", "code", "title")
        )
        choices += [
            (f"{level}:{pk}", f"{level.title()} {code} · {title}") for pk, code, title in nodes
        ]
    return choices


class ReportDefinitionForm(forms.Form):
    title = forms.CharField(max_length=200)
    scope = forms.ChoiceField(help_text="Whose figures the report covers.")
    sections = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    formats = forms.MultipleChoiceField(
        choices=ReportFormat.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="CSV: one file per section, zipped when there are several.",
    )
    audience_roles = forms.MultipleChoiceField(
        label="Roles",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Everyone holding one of these roles on the scope or above it.",
    )
    recipients = forms.MultipleChoiceField(
        label="People",
        required=False,
        help_text="Each person gets the report for their own scope and permissions.",
    )
    cron_minute = forms.CharField(label="Minute", initial="0", max_length=60)
    cron_hour = forms.CharField(label="Hour", initial="7", max_length=60)
    cron_day_of_month = forms.CharField(label="Day of month", initial="*", max_length=60)
    cron_month_of_year = forms.CharField(label="Month", initial="*", max_length=60)
    cron_day_of_week = forms.CharField(
        label="Day of week", initial="1", max_length=60, help_text="0 or 7 is Sunday, 1 Monday."
    )
    email = forms.BooleanField(
        label="E-mail the files too",
        required=False,
        initial=True,
        help_text="The archive always keeps them.",
    )
    enabled = forms.BooleanField(label="Scheduled", required=False, initial=True)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = (  # type: ignore[attr-defined]
            scope_choices(organization)
        )
        self.fields["sections"].choices = section_choices()  # type: ignore[attr-defined]
        people = (
            get_user_model()
            .objects.filter(
                pk__in=Membership.objects.for_org(organization)
                .filter(kind=MemberKind.PERSON)
                .values("user_id"),
                is_active=True,
            )
            .order_by("username")
        )
        self.fields["recipients"].choices = [  # type: ignore[attr-defined]
            (str(user.pk), f"{user.get_full_name() or user.username} ({user.username})")
            for user in people
        ]

    @staticmethod
    def initial_of(definition: ReportDefinition, recipient_ids: list[int]) -> dict[str, Any]:
        node = definition.scope_node
        scope = ORGANIZATION if node is None else f"{node.LEVEL}:{node.pk}"  # type: ignore[attr-defined]
        return {
            "title": definition.title,
            "scope": scope,
            "sections": definition.sections,
            "formats": definition.formats,
            "audience_roles": definition.audience_roles,
            "recipients": [str(pk) for pk in recipient_ids],
            "cron_minute": definition.cron_minute,
            "cron_hour": definition.cron_hour,
            "cron_day_of_month": definition.cron_day_of_month,
            "cron_month_of_year": definition.cron_month_of_year,
            "cron_day_of_week": definition.cron_day_of_week,
            "email": definition.email,
            "enabled": definition.enabled,
        }

    def data_for_service(self) -> DefinitionData:
        data = self.cleaned_data
        level, _, node_id = str(data["scope"]).partition(":")
        keys = {level: int(node_id)} if level != ORGANIZATION and node_id.isdigit() else {}
        return DefinitionData(
            title=data["title"],
            sections=list(data["sections"]),
            formats=list(data["formats"]),
            audience_roles=list(data["audience_roles"]),
            recipients=[int(pk) for pk in data["recipients"]],
            cron_minute=data["cron_minute"],
            cron_hour=data["cron_hour"],
            cron_day_of_month=data["cron_day_of_month"],
            cron_month_of_year=data["cron_month_of_year"],
            cron_day_of_week=data["cron_day_of_week"],
            email=data["email"],
            enabled=data["enabled"],
            **keys,
        )
