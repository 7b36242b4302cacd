"""The forms of the approval pages: decisions on a request, a request from the gate panel,
and the validation queue's filters and verdicts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from approvals.selectors.validations import DEFAULT_SORT, SORT_LABELS, QueueFilters
from governance.access import restrict
from governance.forms.base import BootstrapBoundField  # noqa: F401  (rendered by FORM_RENDERER)
from governance.models import Function, Organization, Portfolio, Program


class DecisionForm(forms.Form):
    """Approve or reject (a rejection needs the comment: the service says so)."""

    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to reject: the requester reads it.",
    )


class RequestForm(forms.Form):
    """Ask for the approval the next gate needs."""

    evidence = forms.CharField(
        required=False,
        label="Evidence",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the approvers should look at: documents, figures, links.",
    )
    amount = forms.CharField(
        required=False,
        label="Amount",
        help_text="Optional, in the organization's currency: policies may add steps above it.",
    )


class MonthField(forms.CharField):
    """A month as ``YYYY-MM`` (the browser's month input), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})

    def clean(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = str(super().clean(value) or "").strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(f"{text[:7]}-01")
        except ValueError:
            raise forms.ValidationError("Give a month as YYYY-MM.") from None


class QueueFilterForm(forms.Form):
    """The validation queue's filters and order, read from the query string (UI and API)."""

    q = forms.CharField(required=False, max_length=100, label="Measure", strip=True)
    portfolio: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any"
    )
    program: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any"
    )
    function: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any"
    )
    period_from = MonthField(required=False, label="From month")
    period_to = MonthField(required=False, label="To month")
    amount_min = forms.DecimalField(
        required=False, max_digits=16, decimal_places=2, label="Claimed at least"
    )
    amount_max = forms.DecimalField(
        required=False, max_digits=16, decimal_places=2, label="Claimed at most"
    )
    sort = forms.ChoiceField(required=False, choices=list(SORT_LABELS.items()), label="Order")

    def __init__(self, data: Any, *, user: Any, organization: Organization) -> None:
        super().__init__(data)
        for name, model in (("portfolio", Portfolio), ("program", Program)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = restrict(
                model.objects.all(), user, "view", organization=organization
            ).order_by("code")
        function = self.fields["function"]
        assert isinstance(function, forms.ModelChoiceField)
        function.queryset = Function.objects.for_org(organization).order_by("name")
        self.full_clean()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("period_from"), cleaned.get("period_to")
        if first and last and first > last:
            self.add_error("period_to", "The last month comes after the first.")
        low, high = cleaned.get("amount_min"), cleaned.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", "The upper bound is below the lower one.")
        return cleaned

    def filters(self) -> QueueFilters:
        """The valid filters (an invalid one is left out, and shown as an error)."""
        values = {name: value for name, value in self.cleaned_data.items() if value}
        for name in ("amount_min", "amount_max"):
            if self.cleaned_data.get(name) is not None:
                values[name] = self.cleaned_data[name]
        for name in ("portfolio", "program", "function"):
            if name in values:
                values[name] = values[name].pk
        values["sort"] = values.get("sort") or DEFAULT_SORT
        return QueueFilters(**values)


class ValidationDecisionForm(forms.Form):
    """A verdict on one claimed benefit (the service checks the reason and the amount)."""

    decision = forms.ChoiceField(
        choices=[
            ("validate", "Validate as claimed"),
            ("partial", "Validate partly"),
            ("reject", "Reject"),
        ],
        widget=forms.RadioSelect,
        initial="validate",
        label="Verdict",
    )
    amount = forms.CharField(
        required=False,
        label="Validated amount",
        help_text="For a partial validation: between 0 and the claimed amount.",
    )
    reason = forms.CharField(
        required=False,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for a partial validation or a rejection: the owner reads it.",
    )
