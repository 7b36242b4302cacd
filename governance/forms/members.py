"""Forms of the members pages: adding a member and granting a role on a node.

They shape input only; who may add or grant what is decided by the services in
``governance.services.grants`` (and the node choices by ``restrict``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from governance.access import levels_reached, restrict
from governance.forms.hierarchy import organization_member_ids
from governance.models import MemberKind, Organization, Role
from governance.models.hierarchy import model_for_level

ROLE_CHOICES = list(Role.choices)
LEVEL_LABELS = {"organization": "Organization"} | {
    level: str(model_for_level(level)._meta.verbose_name).capitalize()
    for level in ("portfolio", "program", "project", "package", "measure")
}
# A select of thousands of measures helps nobody; every node's page links here pre-filled.
NODE_CHOICES_SHOWN = 300


def person_label(user: Any) -> str:
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


class MemberAddForm(forms.Form):
    """Either an existing account (by username or email) or the fields of a new one."""

    identifier = forms.CharField(
        label="Username or email",
        required=False,
        max_length=254,
        help_text="Of an account that already exists, e.g. someone from another organization.",
    )
    username = forms.CharField(label="Username", required=False, max_length=150)
    first_name = forms.CharField(label="First name", required=False, max_length=150)
    last_name = forms.CharField(label="Last name", required=False, max_length=150)
    email = forms.EmailField(label="Email", required=False)
    kind = forms.ChoiceField(
        label="Kind",
        choices=MemberKind.choices,
        initial=MemberKind.PERSON,
        help_text="An integrator is an API-only account for another system: it never logs in.",
    )
    title = forms.CharField(label="Job title", required=False, max_length=120)
    role = forms.ChoiceField(
        label="Role on the whole organization",
        choices=[("", "None for now: grant roles on nodes later"), *ROLE_CHOICES],
        required=False,
    )

    NEW_ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new_account = any(data.get(name) for name in self.NEW_ACCOUNT_FIELDS)
        if data.get("identifier") and new_account:
            raise forms.ValidationError(
                "Either name an existing account or fill in a new one, not both."
            )
        if not data.get("identifier") and not new_account:
            self.add_error("identifier", "Name an existing account, or fill in a new one below.")
        elif new_account and not data.get("username"):
            self.add_error("username", "Give the new account a username.")
        return data

    @property
    def creates_account(self) -> bool:
        return not self.cleaned_data.get("identifier")


class GrantForm(forms.Form):
    """Role, level and node; the node choices are the live nodes of the chosen level that the
    acting user may administer. ``member`` is a hidden field when the member is given."""

    member = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Person")
    # No default: the first role is the most powerful one.
    role = forms.ChoiceField(label="Role", choices=[("", "Choose a role"), *ROLE_CHOICES])
    level = forms.ChoiceField(label="Level")
    node = forms.ModelChoiceField(queryset=Organization.objects.none(), label="Node")

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        user: Any,
        fixed_member: bool = False,
        picker_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        members = self.fields["member"]
        assert isinstance(members, forms.ModelChoiceField)
        members.queryset = (
            get_user_model()
            .objects.filter(pk__in=organization_member_ids(organization))
            .order_by("first_name", "last_name", "username")
        )
        members.label_from_instance = person_label  # type: ignore[method-assign,assignment]
        if fixed_member:
            members.widget = forms.HiddenInput()

        levels = levels_reached(user, "administer", organization)
        level_field = self.fields["level"]
        assert isinstance(level_field, forms.ChoiceField)
        level_field.choices = [(level, LEVEL_LABELS[level]) for level in levels]
        asked = (self.data if self.is_bound else self.initial).get("level")
        self.chosen_level = asked if asked in levels else (levels[0] if levels else "")
        self.initial["level"] = self.chosen_level
        if picker_url:
            # Choosing another level swaps in that level's node choices (see _node_picker.html).
            level_field.widget.attrs.update(
                {
                    "hx-get": picker_url,
                    "hx-trigger": "change",
                    "hx-target": "#node-picker",
                    "hx-swap": "outerHTML",
                }
            )

        node = self.fields["node"]
        assert isinstance(node, forms.ModelChoiceField)
        node.label = LEVEL_LABELS.get(self.chosen_level, "Node")
        node.error_messages["invalid_choice"] = (
            f"Choose a {node.label.lower()} you administer from the list."
        )
        if self.chosen_level == "organization":
            node.queryset = Organization.objects.filter(pk=organization.pk)
            self.initial.setdefault("node", organization.pk)
        elif self.chosen_level:
            model = model_for_level(self.chosen_level)
            node.queryset = (
                restrict(model.objects.all(), user, "administer", organization=organization)
                .filter(archived_at__isnull=True)
                .order_by("code", "pk")
            )
            self._limit_shown_choices(node)

    def _limit_shown_choices(self, node: forms.ModelChoiceField) -> None:
        """Render at most ``NODE_CHOICES_SHOWN`` options (plus the pre-selected node); any node
        of the full restricted queryset is still accepted."""
        assert node.queryset is not None
        shown = list(node.queryset[: NODE_CHOICES_SHOWN + 1])
        self.more_nodes = len(shown) > NODE_CHOICES_SHOWN
        self.nodes_shown = NODE_CHOICES_SHOWN
        shown = shown[:NODE_CHOICES_SHOWN]
        selected = str((self.data if self.is_bound else self.initial).get("node") or "")
        if selected.isdigit() and all(str(choice.pk) != selected for choice in shown):
            shown += list(node.queryset.filter(pk=int(selected)))
        node.widget.choices = [("", "---------"), *((choice.pk, str(choice)) for choice in shown)]

    more_nodes = False
    nodes_shown = 0
