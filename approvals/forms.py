"""The forms of the approval pages: decisions on a request, and a request from the gate panel."""

from __future__ import annotations

from django import forms

from governance.forms.base import BootstrapBoundField  # noqa: F401  (rendered by FORM_RENDERER)


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
