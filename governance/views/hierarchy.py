"""List, detail, create, edit, move, archive and restore pages for every hierarchy level.

Each level gets the same pages from these classes; ``node_urlpatterns`` wires them for a model.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import DetailView, FormView, ListView, View

from governance.access import can, can_add
from governance.audit.history import history_context
from governance.errors import AccessDenied, StaleVersion, ValidationError
from governance.forms.base import apply_service_errors
from governance.forms.hierarchy import node_form_class
from governance.models import HierarchyNode
from governance.models.hierarchy import hierarchy_models, model_for_level
from governance.selectors import child_counts, node_list
from governance.services.hierarchy import (
    node_archive,
    node_create,
    node_move,
    node_restore,
    node_update,
)
from governance.views.base import OrgMixin
from governance.views.members import access_panel

URL_SEGMENTS = {
    "portfolio": "portfolios",
    "program": "programs",
    "project": "projects",
    "package": "packages",
    "measure": "measures",
}


def node_url(node: HierarchyNode, org_slug: str, page: str = "detail") -> str:
    return reverse(f"{node.LEVEL}-{page}", kwargs={"org_slug": org_slug, "pk": node.pk})


def child_model(model: type[HierarchyNode]) -> type[HierarchyNode] | None:
    for candidate in hierarchy_models():
        if candidate.parent_level() == model.LEVEL:
            return candidate
    return None


class NodeMixin(OrgMixin):
    model: type[HierarchyNode] = HierarchyNode  # set per level by node_urlpatterns
    kwargs: dict[str, Any]

    def visible(self) -> QuerySet[Any]:
        related = ["owner", "sponsor", *self.model.ancestor_levels()]
        return self.restricted(self.model.objects.all(), "view").select_related(*related)

    def get_node(self, action: str = "view") -> HierarchyNode:
        """The node of the URL: 404 if the user cannot see it, 403 if they may not ``action``."""
        node = self.visible().filter(pk=self.kwargs["pk"]).first()
        if node is None:
            raise Http404(f"No such {self.model._meta.verbose_name}.")
        if action != "view" and not can(self.request.user, action, node):  # type: ignore[arg-type]
            raise PermissionDenied
        return node

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["level"] = self.model.LEVEL
        context["level_name"] = self.model._meta.verbose_name
        context["level_plural"] = self.model._meta.verbose_name_plural
        return context


class NodeListView(NodeMixin, ListView):
    template_name = "governance/node_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[Any]:
        parent = None
        for level in self.model.ancestor_levels():
            if self.request.GET.get(level, "").isdigit():
                parent_model = model_for_level(level)
                parent = (
                    self.restricted(parent_model.objects.all(), "view")
                    .filter(pk=self.request.GET[level])
                    .first()
                )
                if parent is None:
                    raise Http404(f"No such {level}.")
        self.parent = parent
        return node_list(
            model=self.model,
            user=self.request.user,
            organization=self.organization,
            parent=parent,
            include_archived=self.request.GET.get("archived") == "1",
            search=self.request.GET.get("q", "").strip(),
        )

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["governance/_node_table.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["parent"] = self.parent
        context["ancestor_levels"] = self.model.ancestor_levels()
        context["can_add"] = _can_add_here(self)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        return context


class NodeDetailView(NodeMixin, DetailView):
    template_name = "governance/node_detail.html"
    context_object_name = "node"

    def get_object(self, queryset: Any = None) -> HierarchyNode:
        return self.get_node("view")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node: HierarchyNode = self.object
        user = self.request.user
        children_model = child_model(self.model)
        if children_model is not None:
            children = node_list(
                model=children_model, user=user, organization=self.organization, parent=node
            )
            context["children"] = children[:100]
            context["children_level"] = children_model.LEVEL
            context["children_name"] = children_model._meta.verbose_name_plural
            context["children_name_singular"] = children_model._meta.verbose_name
        context["counts"] = [
            (model_for_level(level)._meta.verbose_name_plural, count)
            for level, count in child_counts(node=node, user=user).items()
        ]
        context.update(history_context(node, user=user, page=self.request.GET.get("history_page")))
        context["can_change"] = can(user, "change", node)
        context["can_view_financials"] = can(user, "view_financials", node)
        context["can_archive"] = can(user, "archive", node)
        context["can_move"] = can(user, "move", node)
        context["can_add_child"] = children_model is not None and can(user, "add", node)
        context.update(access_panel(user, node, self.organization))
        return context


def _can_add_here(view: NodeMixin) -> bool:
    return can_add(view.request.user, view.model, view.organization)


class NodeFormView(NodeMixin, FormView):
    template_name = "governance/node_form.html"
    node: HierarchyNode | None = None

    def get_form_class(self) -> type[forms.BaseForm]:
        return node_form_class(self.model)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(organization=self.organization, user=self.request.user, instance=self.node)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["node"] = self.node
        return context

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=422)


class NodeCreateView(NodeFormView):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _can_add_here(self):
            raise PermissionDenied
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _can_add_here(self):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        parent_level = self.model.parent_level()
        if parent_level and self.request.GET.get(parent_level, "").isdigit():
            initial[parent_level] = int(self.request.GET[parent_level])
        return initial

    def form_valid(self, form: Any) -> HttpResponse:
        parent_level = self.model.parent_level()
        try:
            node = node_create(
                model=self.model,
                organization=self.organization,
                by=self.request.user,
                parent=form.cleaned_data.get(parent_level) if parent_level else None,
                **form.node_values(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        except AccessDenied as error:
            raise PermissionDenied from error
        messages.success(self.request, f"Created {node}.")
        return redirect(node_url(node, self.organization.slug))


class NodeUpdateView(NodeFormView):
    def setup_node(self) -> None:
        self.node = self.get_node("change")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_node()
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.setup_node()
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        assert self.node is not None
        try:
            version = int(self.request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            node = node_update(
                node=self.node, by=self.request.user, expected_version=version, **form.node_values()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        except StaleVersion:
            form.add_error(
                None,
                "Someone else changed this while you were editing. Your input is kept below; "
                "reload the page to see their change before saving again.",
            )
            return self.form_invalid(form)
        except AccessDenied as error:
            raise PermissionDenied from error
        messages.success(self.request, f"Saved {node}.")
        return redirect(node_url(node, self.organization.slug))


class MoveForm(forms.Form):
    def __init__(self, *args: Any, parent_choices: QuerySet[Any], label: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = forms.ModelChoiceField(queryset=parent_choices, label=label)


class NodeMoveView(NodeMixin, FormView):
    template_name = "governance/node_move.html"

    def get_form(self, form_class: Any = None) -> MoveForm:
        self.node = self.get_node("move")
        parent_model = model_for_level(self.model.parent_level() or "")
        choices = (
            self.restricted(parent_model.objects.all(), "add")
            .filter(archived_at__isnull=True)
            .order_by("code")
        )
        return MoveForm(
            **self.get_form_kwargs(),
            parent_choices=choices,
            label=f"New {parent_model._meta.verbose_name}",
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["node"] = self.node
        return context

    def form_valid(self, form: MoveForm) -> HttpResponse:
        try:
            node = node_move(
                node=self.node, new_parent=form.cleaned_data["parent"], by=self.request.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=422)
        except AccessDenied as error:
            raise PermissionDenied from error
        messages.success(self.request, f"Moved {node} under {form.cleaned_data['parent']}.")
        return redirect(node_url(node, self.organization.slug))


class NodeArchiveView(NodeMixin, View):
    """POST: archive (or, with ``restore``, bring back) a node and its subtree."""

    restore = False

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        node = self.get_node("archive")
        service = node_restore if self.restore else node_archive
        try:
            node = service(node=node, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            verb = "Restored" if self.restore else "Archived"
            messages.success(request, f"{verb} {node} and everything under it.")
        return HttpResponseRedirect(node_url(node, self.organization.slug))


def node_urlpatterns(model: type[HierarchyNode]) -> list[Any]:
    """The pages of one level, named ``<level>-list``, ``<level>-detail``, …"""
    segment = URL_SEGMENTS[model.LEVEL]
    level = model.LEVEL
    patterns = [
        path(f"{segment}/", NodeListView.as_view(model=model), name=f"{level}-list"),
        path(f"{segment}/new/", NodeCreateView.as_view(model=model), name=f"{level}-create"),
        path(f"{segment}/<int:pk>/", NodeDetailView.as_view(model=model), name=f"{level}-detail"),
        path(
            f"{segment}/<int:pk>/edit/", NodeUpdateView.as_view(model=model), name=f"{level}-edit"
        ),
        path(
            f"{segment}/<int:pk>/archive/",
            NodeArchiveView.as_view(model=model),
            name=f"{level}-archive",
        ),
        path(
            f"{segment}/<int:pk>/restore/",
            NodeArchiveView.as_view(model=model, restore=True),
            name=f"{level}-restore",
        ),
    ]
    if model.parent_level():
        patterns.append(
            path(
                f"{segment}/<int:pk>/move/", NodeMoveView.as_view(model=model), name=f"{level}-move"
            )
        )
    return patterns
