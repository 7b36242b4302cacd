"""The form an organization administrator registers or changes a webhook endpoint with."""

from __future__ import annotations

from typing import Any

from django import forms

from governance.webhooks.network import MAX_URL
from governance.webhooks.registry import events
from governance.webhooks.services import MAX_DESCRIPTION


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=MAX_URL,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
        help_text="Where Throughline POSTs the events: http:// or https://.",
    )
    description = forms.CharField(
        max_length=MAX_DESCRIPTION,
        required=False,
        help_text="What receives the events, for example “ERP integration”.",
    )
    events = forms.MultipleChoiceField(
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The events this endpoint receives.",
    )
    is_active = forms.BooleanField(
        label="Active", required=False, initial=True, help_text="Turned off, nothing is sent."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read when the form is made: apps may register events after this module is imported.
        self.fields["events"].choices = list(events().items())  # type: ignore[attr-defined]

    def event_rows(self) -> list[dict[str, Any]]:
        """The checkboxes of ``events`` with their names and descriptions, for the template."""
        chosen = {str(value) for value in (self["events"].value() or [])}
        return [
            {"name": name, "description": description, "checked": name in chosen}
            for name, description in events().items()
        ]

    def endpoint_values(self) -> dict[str, Any]:
        return {
            "url": self.cleaned_data["url"],
            "description": self.cleaned_data.get("description", ""),
            "events": list(self.cleaned_data["events"]),
            "is_active": bool(self.cleaned_data.get("is_active")),
        }
