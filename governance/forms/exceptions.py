"""The trade-off form of a case page: one option, the rationale, and what the option needs."""

from __future__ import annotations

from typing import Any

from django import forms

from governance.models import TradeOff


class CaseDecisionForm(forms.Form):
    option = forms.ChoiceField(
        choices=TradeOff.choices, widget=forms.RadioSelect, label="Your decision"
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Why", required=False
    )
    title = forms.CharField(max_length=300, required=False, label="Mitigation: what will be done")
    owner = forms.ChoiceField(required=False, label="Mitigation: owner")
    due_date = forms.DateField(
        required=False, label="Mitigation: due", widget=forms.DateInput(attrs={"type": "date"})
    )
    sacrifice_code = forms.CharField(
        max_length=30, required=False, label="Sacrifice: code of the measure to give up"
    )
    sacrifice_to = forms.ChoiceField(
        choices=[("on_hold", "Pause it"), ("cancelled", "Cancel it")],
        required=False,
        label="Sacrifice: how",
    )
    replan = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Re-plan: measures"
    )

    def __init__(
        self, *args: Any, members: list[tuple[int, str]], impacted: list[tuple[int, str]], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["owner"].choices = [("", "—"), *members]  # type: ignore[attr-defined]
        self.fields["replan"].choices = impacted  # type: ignore[attr-defined]

    def service_arguments(self, sacrifice_id: int | None) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "option": data["option"],
            "rationale": data.get("rationale", ""),
            "mitigation": {
                "title": data.get("title", ""),
                "owner": data.get("owner") or None,
                "due_date": data.get("due_date"),
            },
            "sacrifice": {"measure": sacrifice_id, "to": data.get("sacrifice_to", "")},
            "replan": [int(pk) for pk in data.get("replan") or []],
        }
