"""Forms of the measures app."""

from __future__ import annotations

from typing import Any

from django import forms

from measures.imports import MAX_BYTES


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text=f"An .xlsx or .csv file, up to {MAX_BYTES // (1024 * 1024)} MB; the first row "
        "names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    dry_run = forms.BooleanField(
        label="Check only (dry run): show what would change and write nothing",
        required=False,
        initial=True,
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)


class GateSettingsForm(forms.Form):
    """One group of checkboxes per forward stage: the fields required on top of the defaults."""

    def __init__(self, *args: Any, current: dict[str, list[str]] | None = None, **kwargs: Any):
        from measures.models import DoI
        from measures.services.gate_fields import DEFAULT_REQUIRED, FIELD_TEXT, GATED_STAGES

        super().__init__(*args, **kwargs)
        current = current or {}
        for stage in GATED_STAGES:
            defaults = DEFAULT_REQUIRED.get(stage, ())
            choices = [(name, text[0]) for name, text in FIELD_TEXT.items() if name not in defaults]
            always = ", ".join(FIELD_TEXT[name][0].lower() for name in defaults)
            self.fields[stage] = forms.MultipleChoiceField(
                label=f"Before {DoI(stage).label}",
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=current.get(stage, []),
                help_text=f"Always required: {always}." if always else "",
            )


class FinancialSettingsForm(forms.Form):
    """Stage weights and Potential Status thresholds in percent. Fields are text so that a typo
    comes back as typed, with the service's reason next to it."""

    def __init__(self, *args: Any, **kwargs: Any):
        from measures.models import DOI_ORDER, DoI

        super().__init__(*args, **kwargs)
        for stage in DOI_ORDER:
            self.fields[f"weight_{stage}"] = forms.CharField(
                label=f"Weight of {DoI(stage).label} (%)", max_length=20
            )
        self.fields["on_track_from"] = forms.CharField(
            label="On track from (% of the reference)", max_length=20
        )
        self.fields["at_risk_from"] = forms.CharField(
            label="At risk from (% of the reference)",
            max_length=20,
            help_text="Below this a measure is off track.",
        )
