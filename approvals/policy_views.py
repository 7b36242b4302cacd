"""The approval policy editor: ``/o/<slug>/settings/approvals/``, for org admins.

One page lists every kind of approval with its policy and steps. Each change is its own small
form posted with a ``section`` (``policy-create``, ``step-add``, ``step-edit``, ``step-remove``,
``policy-delete``); a refused form comes back with what was typed and its errors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from approvals.models import KIND_CHOICES, ApprovalPolicy, ApprovalPolicyStep
from approvals.policy_forms import PolicyCreateForm, PolicyStepForm
from approvals.services.policies import (
    policies_seed_defaults,
    policy_create,
    policy_delete,
    policy_step_add,
    policy_step_remove,
    policy_step_update,
)
from governance.errors import Conflict, ValidationError
from governance.forms.base import apply_service_errors
from governance.views.base import OrgMixin
from governance.views.members import OrgAdminRequired


def _step_initial(step: ApprovalPolicyStep) -> dict[str, Any]:
    above = step.amount_above
    return {
        "order": step.order,
        "approver": step.approver,
        "role": step.role,
        "approvals_required": step.approvals_required,
        "amount_above": "" if above is None else f"{above:f}",
        "sla_days": step.sla_days,
    }


class ApprovalPolicySettingsView(OrgMixin, OrgAdminRequired, View):
    template_name = "approvals/policies.html"

    def _url(self, anchor: str = "") -> str:
        url = reverse("approval-policy-settings", kwargs={"org_slug": self.organization.slug})
        return f"{url}#{anchor}" if anchor else url

    def _page(self, status: int = 200, bound: dict[str, Any] | None = None) -> HttpResponse:
        """Every kind with its policy; ``bound`` holds the one form that was refused, by its
        prefix, so it shows what was typed."""
        bound = bound or {}
        policies_seed_defaults(self.organization)
        found = {
            policy.kind: policy
            for policy in ApprovalPolicy.objects.for_org(self.organization).prefetch_related(
                "steps"
            )
        }
        kinds = []
        for kind, label in KIND_CHOICES:
            policy = found.get(kind)
            row: dict[str, Any] = {"kind": kind, "label": label, "policy": policy}
            if policy is None:
                prefix = f"new-{kind.replace(':', '-')}"
                row["create_form"] = bound.get(prefix) or PolicyCreateForm(prefix=prefix)
            else:
                row["steps"] = [
                    (
                        step,
                        bound.get(f"step-{step.pk}")
                        or PolicyStepForm(prefix=f"step-{step.pk}", initial=_step_initial(step)),
                    )
                    for step in policy.steps.all()
                ]
                row["add_form"] = bound.get(f"add-{policy.pk}") or PolicyStepForm(
                    prefix=f"add-{policy.pk}"
                )
            kinds.append(row)
        context = {"page_name": "Approval policies", "kinds": kinds}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._page()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        handler = {
            "policy-create": self._policy_create,
            "policy-delete": self._policy_delete,
            "step-add": self._step_add,
            "step-edit": self._step_edit,
            "step-remove": self._step_remove,
        }.get(request.POST.get("section", ""))
        if handler is None:
            return HttpResponse("Unknown settings section.", status=400)
        return handler(request)

    def _id(self, name: str) -> int:
        raw = self.request.POST.get(name, "")
        if not raw.isdigit() or len(raw) > 18:
            raise Http404("No such policy or step.")
        return int(raw)

    def _policy(self) -> ApprovalPolicy:
        policy = (
            ApprovalPolicy.objects.for_org(self.organization).filter(pk=self._id("policy")).first()
        )
        if policy is None:
            raise Http404("No such policy.")
        return policy

    def _step(self) -> ApprovalPolicyStep:
        step = (
            ApprovalPolicyStep.objects.for_org(self.organization)
            .filter(pk=self._id("step"))
            .select_related("policy")
            .first()
        )
        if step is None:
            raise Http404("No such step.")
        return step

    def _done(self, message: str, anchor: str) -> HttpResponse:
        messages.success(self.request, message)
        return HttpResponseRedirect(self._url(anchor))

    def _refused(self, prefix: str, form: Any) -> HttpResponse:
        return self._page(status=422, bound={prefix: form})

    def _policy_create(self, request: HttpRequest) -> HttpResponse:
        kind = request.POST.get("kind", "")
        prefix = f"new-{kind.replace(':', '-')}"
        if kind not in dict(KIND_CHOICES):
            return HttpResponse("Unknown kind of approval.", status=400)
        form = PolicyCreateForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                policy = policy_create(
                    organization=self.organization,
                    by=request.user,
                    kind=kind,
                    name=form.cleaned_data["name"],
                    steps=[form.step_fields()],
                )
            except ValidationError as error:
                _step_errors(form, error)
                for problem in error.message_dict.get("kind", []):
                    messages.error(request, problem)  # its form is not on the page
            else:
                return self._done(f"Created the policy {policy.name}.", f"policy-{policy.pk}")
        return self._refused(prefix, form)

    def _policy_delete(self, request: HttpRequest) -> HttpResponse:
        policy = self._policy()
        try:
            policy_delete(policy=policy, by=request.user)
        except Conflict as conflict:
            messages.error(request, conflict.message)
            return self._page(status=409)
        return self._done(f"Deleted the policy {policy.name}.", "policies")

    def _step_add(self, request: HttpRequest) -> HttpResponse:
        policy = self._policy()
        prefix = f"add-{policy.pk}"
        form = PolicyStepForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                policy_step_add(policy=policy, by=request.user, **form.step_fields())
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return self._done(f"Added a step to {policy.name}.", f"policy-{policy.pk}")
        return self._refused(prefix, form)

    def _step_edit(self, request: HttpRequest) -> HttpResponse:
        step = self._step()
        prefix = f"step-{step.pk}"
        form = PolicyStepForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                policy_step_update(step=step, by=request.user, **form.step_fields())
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                return self._done(f"Saved the step of {step.policy.name}.", prefix)
        return self._refused(prefix, form)

    def _step_remove(self, request: HttpRequest) -> HttpResponse:
        step = self._step()
        try:
            policy_step_remove(step=step, by=request.user)
        except ValidationError as error:
            for problems in error.message_dict.values():
                messages.error(request, " ".join(problems))
            return self._page(status=422)
        return self._done(f"Removed a step of {step.policy.name}.", f"policy-{step.policy_id}")


def _step_errors(form: Any, error: ValidationError) -> None:
    """The service names a new policy's one step ``steps.0.<field>``: put it on the field."""
    for key, problems in error.message_dict.items():
        field = key.removeprefix("steps.0.")
        form.add_error(field if field in form.fields else None, problems)
