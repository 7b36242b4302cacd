"""The approvals inbox, a request's page, the decisions on it, and asking from the gate panel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from approvals.changes.views import change_context
from approvals.forms import DecisionForm, RequestForm
from approvals.models import ApprovalAction, ApprovalRequest, RequestState
from approvals.selectors import request_rows, requests_awaiting, requests_visible
from approvals.services.actions import gate_kind
from approvals.services.requests import (
    may_decide,
    may_withdraw,
    request_approve,
    request_reject,
    request_submit,
    request_withdraw,
)
from governance.access import can
from governance.audit.history import history_context
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.forms.base import apply_service_errors
from governance.views.base import OrgMixin
from measures.models import Measure
from measures.views.stages import MeasureDetailView

PAGE_SIZE = 25


def request_url(request: ApprovalRequest, org_slug: str) -> str:
    return reverse("approval-detail", kwargs={"org_slug": org_slug, "pk": request.pk})


class ApprovalInboxView(OrgMixin, View):
    """Requests awaiting my decision, and my own requests."""

    template_name = "approvals/inbox.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        awaiting = Paginator(
            request_rows(requests_awaiting(user, self.organization)).order_by("id"), PAGE_SIZE
        ).get_page(request.GET.get("page"))
        state = request.GET.get("state", "")
        mine = requests_visible(user, self.organization).filter(requested_by_id=user.pk)
        if state in RequestState.values:
            mine = mine.filter(state=state)
        mine_page = Paginator(request_rows(mine).order_by("-id"), PAGE_SIZE).get_page(
            request.GET.get("mine_page")
        )
        return render(
            request,
            self.template_name,
            {
                "awaiting": awaiting,
                "mine": mine_page,
                "state": state,
                "states": RequestState.choices,
                "form": DecisionForm(),
                "now": timezone.now(),
            },
        )


class ApprovalRequestMixin(OrgMixin):
    kwargs: dict[str, Any]

    def get_request(self) -> ApprovalRequest:
        found = (
            requests_visible(self.request.user, self.organization)
            .filter(pk=self.kwargs["pk"])
            .select_related("measure", "requested_by", "decided_by", "previous")
            .first()
        )
        if found is None:
            raise Http404("No such request.")
        return found

    def page(self, approval: ApprovalRequest, status: int = 200, **extra: Any) -> HttpResponse:
        user = self.request.user
        measure: Measure = approval.measure
        context = {
            "approval": approval,
            "measure": measure,
            "steps": list(approval.steps.all()),
            "actions": list(
                ApprovalAction.objects.for_org(self.organization)
                .filter(request_id=approval.pk)
                .select_related("actor", "step")
            ),
            "resubmissions": list(
                ApprovalRequest.objects.for_org(self.organization).filter(previous_id=approval.pk)
            ),
            "may_decide": may_decide(approval, measure, user),
            "may_withdraw": approval.state == RequestState.PENDING
            and may_withdraw(approval, measure, user),
            "may_resubmit": approval.state
            in (RequestState.REJECTED, RequestState.WITHDRAWN, RequestState.EXPIRED)
            and can(user, "change", measure),
            "form": extra.pop("form", None) or DecisionForm(),
            "request_form": RequestForm(initial={"evidence": approval.evidence}),
            **history_context(approval, user=user, page=self.request.GET.get("history_page")),
            # A change to a baseline shows its diff and impact (approvals.changes).
            **change_context(approval, user),
            **extra,
        }
        return render(self.request, "approvals/detail.html", context, status=status)


class ApprovalDetailView(ApprovalRequestMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(self.get_request())


class ApprovalDecisionView(ApprovalRequestMixin, View):
    """POST ``comment``: approve, reject or withdraw. A refusal shows the request's page again
    with the reason and the comment kept."""

    decision = "approve"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        approval = self.get_request()
        form = DecisionForm(request.POST)
        form.is_valid()
        comment = request.POST.get("comment", "")
        services: dict[str, Any] = {
            "approve": request_approve,
            "reject": request_reject,
            "withdraw": request_withdraw,
        }
        service = services[self.decision]
        try:
            approval = service(request=approval, by=request.user, comment=comment)
        except AccessDenied as denied:
            raise PermissionDenied(denied.message) from denied
        except ValidationError as invalid:
            apply_service_errors(form, invalid)
            return self.page(approval, 422, form=form, decision=self.decision)
        except Conflict as conflict:
            return self.page(
                approval,
                409,
                form=form,
                decision=self.decision,
                error=conflict.message,
                problems=conflict.problems,
            )
        done = {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"}
        messages.success(request, f"Request {approval} {done[self.decision]}.")
        if approval.state == RequestState.APPROVED:
            measure = Measure.objects.for_org(self.organization).get(pk=approval.measure_id)
            messages.success(request, f"{measure} is now {measure.get_doi_display()}.")
        return HttpResponseRedirect(request_url(approval, self.organization.slug))


class ApprovalSubmitView(MeasureDetailView):
    """POST from the gate panel: ask for the approval of the next gate (``evidence``,
    ``amount``, and ``previous`` when resubmitting); a refusal shows the measure page again with
    the reasons and the input kept."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        measure: Measure = self.get_node("change")  # type: ignore[assignment]
        form = RequestForm(request.POST)
        form.is_valid()
        target = request.POST.get("to", "")
        previous = None
        previous_id = request.POST.get("previous", "")
        if previous_id.isdigit() and len(previous_id) < 19:
            previous = (
                requests_visible(request.user, self.organization)
                .filter(pk=int(previous_id))
                .first()
            )
        error, problems = "", []
        try:
            approval = request_submit(
                measure=measure,
                kind=gate_kind(target),
                by=request.user,
                evidence=request.POST.get("evidence", ""),
                amount=request.POST.get("amount", ""),
                previous=previous,
            )
        except AccessDenied as denied:
            raise PermissionDenied(denied.message) from denied
        except Conflict as conflict:
            error, problems = conflict.message, conflict.problems
        except ValidationError as invalid:
            apply_service_errors(form, invalid)
            error = "The request is not valid."
            if "kind" in invalid.message_dict:
                problems = invalid.message_dict["kind"]
        else:
            messages.success(request, f"Request {approval} submitted.")
            return HttpResponseRedirect(request_url(approval, self.organization.slug))
        self.object = self.get_node("view")
        context = self.get_context_data(
            object=self.object,
            approval_form=form,
            gate_error=error,
            gate_problems=problems,
        )
        return self.render_to_response(context, status=422)
