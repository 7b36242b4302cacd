"""Members and role grants: the pages org admins and node administrators manage access with.

- The members list, adding, a member's page and removing are for who may administer the
  organization; other members get 403 (they know the organization exists).
- Granting and revoking are open to anyone who administers some node: the node choices and the
  services limit them to their own subtrees.
- The "Who has access" panel of every node page is built by ``access_panel``.

Every rule lives in ``governance.services.grants``; these views only translate.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView, ListView, TemplateView

from governance.access import can, levels_reached
from governance.errors import AccessDenied, ValidationError
from governance.forms.base import apply_service_errors
from governance.forms.members import GrantForm, MemberAddForm, person_label
from governance.models import Membership, Organization, Role
from governance.permissions import ROLE_SUMMARIES
from governance.selectors import member_list
from governance.services.grants import (
    GRANT_LEVELS,
    access_to,
    grant_role,
    grants_held,
    grants_held_by,
    member_add_existing,
    member_create,
    member_remove,
    node_for,
    revoke_role,
)
from governance.views.base import OrgMixin

ROLE_LEGEND = [(Role(role).label, summary) for role, summary in ROLE_SUMMARIES.items()]


class OrgAdminRequired:
    """Only who may administer the organization passes; other members get 403.

    List it after ``OrgMixin`` in the bases: it needs the organization that mixin resolved.
    """

    request: HttpRequest
    organization: Organization

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can(request.user, "administer", self.organization):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class NodeAdminRequired:
    """Only who administers at least one node (the organization included) passes; 403 else.

    List it after ``OrgMixin`` in the bases.
    """

    request: HttpRequest
    organization: Organization

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not levels_reached(request.user, "administer", self.organization):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _member_of(organization: Organization, user_pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.for_org(organization).select_related("user"), user_id=user_pk
    )


def _node_page(node: Model, organization: Organization) -> str:
    if isinstance(node, Organization):
        return reverse("org-home", kwargs={"org_slug": organization.slug})
    level = node.LEVEL  # type: ignore[attr-defined]
    return reverse(f"{level}-detail", kwargs={"org_slug": organization.slug, "pk": node.pk})


def _after_change(request: HttpRequest, organization: Organization, user: Any, node: Model) -> str:
    """Where to go after granting or revoking: the member's page for who may open it, else the
    node's page (a node administrator manages access from there)."""
    if can(request.user, "administer", organization):
        return reverse("member-detail", kwargs={"org_slug": organization.slug, "user_pk": user.pk})
    return _node_page(node, organization)


class MemberListView(OrgMixin, OrgAdminRequired, ListView):
    template_name = "governance/members/list.html"
    paginate_by = 50

    def get_queryset(self) -> Any:
        return member_list(
            organization=self.organization, search=self.request.GET.get("q", "").strip()
        )

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["governance/members/_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = list(context["object_list"])
        grants = grants_held_by([membership.user for membership in page], self.organization)
        context["rows"] = [(membership, grants[membership.user_id]) for membership in page]
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        return context


class MemberAddView(OrgMixin, OrgAdminRequired, FormView):
    template_name = "governance/members/add.html"
    form_class = MemberAddForm

    def form_valid(self, form: MemberAddForm) -> HttpResponse:
        data = form.cleaned_data
        common = {
            "by": self.request.user,
            "organization": self.organization,
            "role": data["role"] or None,
            "title": data["title"],
            "kind": data["kind"],
        }
        try:
            if form.creates_account:
                membership = member_create(
                    username=data["username"],
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    **common,
                )
            else:
                membership = member_add_existing(identifier=data["identifier"], **common)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        except AccessDenied as error:
            raise PermissionDenied from error
        messages.success(
            self.request, f"Added {person_label(membership.user)} to {self.organization}."
        )
        return redirect(
            "member-detail", org_slug=self.organization.slug, user_pk=membership.user_id
        )

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=422)


class MemberDetailView(OrgMixin, OrgAdminRequired, TemplateView):
    template_name = "governance/members/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        membership = _member_of(self.organization, self.kwargs["user_pk"])
        context["membership"] = membership
        context["member"] = membership.user
        context["grants"] = grants_held(membership.user, self.organization)
        context["form"] = GrantForm(
            organization=self.organization,
            user=self.request.user,
            fixed_member=True,
            picker_url=reverse("member-grant", kwargs={"org_slug": self.organization.slug}),
            initial={"member": membership.user_id},
        )
        context["can_remove"] = membership.user_id != self.request.user.pk
        return context


class MemberGrantView(OrgMixin, NodeAdminRequired, FormView):
    """Grant a role on a node. ``?member=&level=&node=&role=`` pre-fill the form; an htmx GET
    with ``level`` answers with the node picker of that level only."""

    template_name = "governance/members/grant.html"
    form_class = GrantForm

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(
            organization=self.organization,
            user=self.request.user,
            picker_url=self.request.path,
        )
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {
            name: self.request.GET[name]
            for name in ("member", "role", "level", "node")
            if self.request.GET.get(name)
        }

    def get_template_names(self) -> list[str]:
        if self.request.method == "GET" and getattr(self.request, "htmx", False):
            return ["governance/members/_node_picker.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        node = str(form.initial.get("node") or "")
        found = None
        if form.chosen_level != "organization" and node.isdigit():
            found = node_for(form.chosen_level, int(node), self.organization)
        if found is not None and can(self.request.user, "administer", found):
            context["cancel_url"] = _node_page(found, self.organization)
        elif can(self.request.user, "administer", self.organization):
            context["cancel_url"] = reverse(
                "member-list", kwargs={"org_slug": self.organization.slug}
            )
        else:
            context["cancel_url"] = reverse("org-home", kwargs={"org_slug": self.organization.slug})
        return context

    def form_valid(self, form: GrantForm) -> HttpResponse:
        user, role, node = (form.cleaned_data[name] for name in ("member", "role", "node"))
        try:
            grant_role(by=self.request.user, user=user, role=role, node=node)
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        except AccessDenied as error:
            raise PermissionDenied from error
        messages.success(
            self.request, f"{person_label(user)} is now {Role(role).label.lower()} on {node}."
        )
        return redirect(_after_change(self.request, self.organization, user, node))

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=422)


class MemberRevokeView(OrgMixin, NodeAdminRequired, TemplateView):
    """GET asks to confirm revoking ``?role=&level=&node=``; POST revokes."""

    template_name = "governance/members/revoke.html"

    def _grant(self) -> tuple[Membership, str, Model]:
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        membership = _member_of(self.organization, self.kwargs["user_pk"])
        role, level, node_id = (source.get(name, "") for name in ("role", "level", "node"))
        if role not in Role.values or level not in GRANT_LEVELS or not node_id.isdigit():
            raise Http404("No such grant.")
        node = node_for(level, int(node_id), self.organization)
        if node is None:
            raise Http404("No such node.")
        if not can(self.request.user, "administer", node):
            raise PermissionDenied
        return membership, role, node

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        membership, role, node = self._grant()
        context.update(
            membership=membership,
            member=membership.user,
            role=role,
            role_label=Role(role).label,
            node=node,
            level=node.LEVEL,  # type: ignore[attr-defined]
            cancel_url=_after_change(self.request, self.organization, membership.user, node),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership, role, node = self._grant()
        user = membership.user
        try:
            revoke_role(by=request.user, user=user, role=role, node=node)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        except AccessDenied as error:
            raise PermissionDenied from error
        else:
            messages.success(
                request, f"Revoked {person_label(user)}'s {Role(role).label.lower()} on {node}."
            )
        return redirect(_after_change(request, self.organization, user, node))


class MemberRemoveView(OrgMixin, OrgAdminRequired, TemplateView):
    """GET asks to confirm; POST removes the member with all their grants."""

    template_name = "governance/members/remove.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        membership = _member_of(self.organization, self.kwargs["user_pk"])
        context.update(
            membership=membership,
            member=membership.user,
            grants=grants_held(membership.user, self.organization),
            is_self=membership.user_id == self.request.user.pk,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = _member_of(self.organization, self.kwargs["user_pk"])
        try:
            member_remove(by=request.user, organization=self.organization, user=membership.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(
                "member-detail", org_slug=self.organization.slug, user_pk=membership.user_id
            )
        except AccessDenied as error:
            raise PermissionDenied from error
        messages.success(request, f"Removed {person_label(membership.user)} and their roles.")
        return redirect("member-list", org_slug=self.organization.slug)


def access_panel(user: Any, node: Model, organization: Organization) -> dict[str, Any]:
    """Context of a node page's "Who has access" panel: nothing unless ``user`` may administer
    ``node``. Its queries do not depend on how many people or nodes there are."""
    if not can(user, "administer", node):
        return {}
    entries = access_to(node, organization=organization)
    return {
        "access_panel": {
            "entries": [
                (entry, not entry.implicit and can(user, "administer", entry.node))
                for entry in entries
            ],
            "member_links": can(user, "administer", organization),
            "roles": ROLE_LEGEND,
        }
    }
