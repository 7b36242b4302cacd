"""The forms of the approval policy editor: a step, and a new policy with its first step.

Types and ranges only; the rules are the policy services' (``approvals.services.policies``).
"""

from __future__ import annotations

from django import forms

from approvals.models import Approver
from approvals.services.policies import MAX_APPROVALS, MAX_ORDER, MAX_SLA_DAYS
from governance.forms.base import BootstrapBoundField  # noqa: F401  (rendered by FORM_RENDERER)
from governance.models import Role


class PolicyStepForm(forms.Form):
    order = forms.IntegerField(
        min_value=1,
        max_value=MAX_ORDER,
        initial=1,
        help_text="Steps of the same order run in parallel; a higher one waits for them.",
    )
    approver = forms.ChoiceField(choices=Approver.choices)
    role = forms.ChoiceField(
        choices=[("", "—"), *Role.choices],
        required=False,
        help_text="When the approver is a role: held on the measure or above it.",
    )
    approvals_required = forms.IntegerField(
        min_value=1, max_value=MAX_APPROVALS, initial=1, label="Approvals required"
    )
    amount_above = forms.CharField(
        required=False,
        label="Only above amount",
        help_text="Optional: the step applies only to requests above this amount.",
    )
    sla_days = forms.IntegerField(
        min_value=1, max_value=MAX_SLA_DAYS, initial=5, label="SLA (days)"
    )

    def step_fields(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        return {name: data.get(name) for name in self.fields}


class PolicyCreateForm(PolicyStepForm):
    """The kind comes with the form's ``kind`` field (one form per kind on the page)."""

    name = forms.CharField(
        required=False, max_length=200, help_text="Optional: the kind's name by default."
    )

    field_order = ["name", *PolicyStepForm.base_fields]

    def step_fields(self) -> dict[str, object]:
        fields = super().step_fields()
        fields.pop("name", None)
        return fields
