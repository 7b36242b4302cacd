"""The form a member issues an API token with."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from governance.models import TokenScope


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What uses the token, for example “ERP sync” or “Power BI”.",
    )
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text="A read token is refused on every change. Either can do no more than you can.",
    )
    expires_at = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="Optional. The token stops working at the start of this day. "
        "Leave empty for a token that works until it is revoked.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        self.fields["expires_at"].widget.attrs["min"] = tomorrow.isoformat()

    def clean_expires_at(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("expires_at")
        if day is not None and day <= timezone.localdate():
            raise forms.ValidationError("Choose a date after today.")
        return day

    def token_values(self) -> dict[str, Any]:
        """The arguments of ``token_issue``: the expiry date becomes the start of that day."""
        day = self.cleaned_data.get("expires_at")
        expires_at = (
            dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
            if day
            else None
        )
        return {
            "name": self.cleaned_data["name"],
            "scope": self.cleaned_data["scope"],
            "expires_at": expires_at,
        }
