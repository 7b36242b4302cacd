"""Forms of the measures app."""

from __future__ import annotations

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
