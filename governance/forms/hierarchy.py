"""The create/edit form of a hierarchy node, for every level."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db import models

from governance.access import can, restrict
from governance.models import HierarchyNode, Membership, Organization
from governance.models.hierarchy import model_for_level
from governance.services.hierarchy import COMMON_FIELDS, user_fields

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def node_form_class(model: type[HierarchyNode]) -> type[forms.ModelForm]:
    """A ModelForm for ``model`` with its parent as a choice of nodes the user may add under."""
    fields = [*COMMON_FIELDS, *model.FINANCIAL_FIELDS, *getattr(model, "EXTRA_FIELDS", ())]
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": fields,
            "widgets": {
                "start_date": DATE,
                "end_date": DATE,
                "description": forms.Textarea(attrs={"rows": 3}),
                **{
                    name: forms.Textarea(attrs={"rows": 3})
                    for name in getattr(model, "EXTRA_FIELDS", ())
                    if isinstance(model._meta.get_field(name), models.TextField)
                },
            },
        },
    )
    return type(f"{model.__name__}Form", (NodeForm,), {"Meta": meta})


class NodeForm(forms.ModelForm):
    """Fields of a node plus, below the top level, the parent it lives under."""

    def __init__(self, *args: Any, organization: Organization, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model: type[HierarchyNode] = self._meta.model
        self.organization = organization
        members = (
            get_user_model()
            .objects.filter(pk__in=organization_member_ids(organization))
            .order_by("first_name", "last_name", "username")
        )
        for name in user_fields(model):
            person_field = self.fields[name]
            assert isinstance(person_field, forms.ModelChoiceField)
            person_field.queryset = members
            person_field.label_from_instance = _person  # type: ignore[method-assign,assignment]
        for name in getattr(model, "EXTRA_FIELDS", ()):
            field = self.fields[name]
            related = model._meta.get_field(name).related_model
            if isinstance(field, forms.ModelChoiceField) and related is not get_user_model():
                # A model may offer its own choices (only active ones, say): ``choices_for``.
                choices_for = getattr(related, "choices_for", None)
                field.queryset = (
                    choices_for(organization)
                    if choices_for
                    else related.objects.for_org(organization)  # type: ignore[union-attr]
                )
        self.fields["code"].help_text = "Unique in the organization, e.g. PRJ-042."
        # Whoever may create a node manages its subtree and sees its financials; on an existing
        # node the user's role there decides.
        if self.instance.pk and not can(user, "view_financials", self.instance):
            for name in model.FINANCIAL_FIELDS:
                del self.fields[name]
        for name in model.FINANCIAL_FIELDS:
            if name in self.fields:
                self.fields[name].label = f"{self.fields[name].label} ({organization.currency})"
        parent_level = model.parent_level()
        if parent_level:
            parent_model = model_for_level(parent_level)
            choices = restrict(parent_model.objects.all(), user, "add", organization=organization)
            self.fields[parent_level] = forms.ModelChoiceField(
                queryset=choices.filter(archived_at__isnull=True).order_by("code"),
                label=str(parent_model._meta.verbose_name).capitalize(),
                disabled=self.instance.pk is not None,
                help_text="Move it from its page to change this." if self.instance.pk else "",
            )
            if self.instance.pk:
                self.initial[parent_level] = getattr(self.instance, f"{parent_level}_id")
            self.order_fields([parent_level, *self.fields])

    def node_values(self) -> dict[str, Any]:
        """The cleaned values the node's services take (without the parent)."""
        model = self._meta.model
        names = [*COMMON_FIELDS, *model.FINANCIAL_FIELDS, *getattr(model, "EXTRA_FIELDS", ())]
        return {name: self.cleaned_data.get(name) for name in names if name in self.fields}


def organization_member_ids(organization: Organization) -> Any:
    return Membership.objects.for_org(organization).values("user_id")


def _person(user: Any) -> str:
    return user.get_full_name() or user.get_username()
