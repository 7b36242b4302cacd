"""The exception inbox and a case's page: the ripple drawn and tabled, and the decision form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from governance.access import restrict
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.forms.base import apply_service_errors
from governance.forms.exceptions import CaseDecisionForm
from governance.models import CaseState, Cause, ExceptionCase, Membership, TradeOff
from governance.ripple.decisions import may_decide_case, next_forum
from governance.ripple.graph import layout
from governance.ripple.selectors import (
    case_decisions,
    case_impacted,
    case_list,
    case_reach_names,
    cases_visible,
    open_case_count,
    parse_filters,
)
from governance.views.base import OrgMixin

PAGE_SIZE = 50


class ExceptionInboxView(OrgMixin, View):
    """Open (or decided, cleared) cases: mine, my forums' or all I may see, filtered."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filters, errors = parse_filters(request.GET)
        page = Paginator(case_list(request.user, self.organization, filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "governance/exceptions/inbox.html",
            {
                "page": page,
                "filters": filters,
                "raw": request.GET,
                "errors": errors,
                "query": query.urlencode(),
                "causes": Cause.choices,
                "states": CaseState.choices,
            },
            status=400 if errors else 200,
        )


class ExceptionCountView(OrgMixin, View):
    """GET: the navigation's badge, my open cases and my forums' (loaded after the page, so
    no page pays a query for it)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        count = open_case_count(request.user, self.organization)
        return render(request, "governance/exceptions/_count.html", {"count": count})


class CaseMixin(OrgMixin):
    kwargs: dict[str, Any]

    def get_case(self) -> ExceptionCase:
        found = cases_visible(self.request.user, self.organization).filter(pk=self.kwargs["pk"])
        case = found.first()
        if case is None:
            raise Http404("No such case.")
        return case

    def form(self, case: ExceptionCase, impacted: list[Any], data: Any = None) -> CaseDecisionForm:
        members = (
            Membership.objects.for_org(self.organization)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user__username")
        )
        return CaseDecisionForm(
            data,
            members=[(m.user_id, m.user.get_full_name() or m.user.username) for m in members],
            impacted=[
                (row.measure_id, f"{row.measure.code} (+{row.slip_days} d)") for row in impacted
            ],
        )

    def page(
        self, case: ExceptionCase, form: CaseDecisionForm | None = None, status: int = 200
    ) -> HttpResponse:
        impacted = case_impacted(case)
        return render(
            self.request,
            "governance/exceptions/case.html",
            {
                "case": case,
                "impacted": impacted,
                "drawing": layout(impacted),
                "reach": case_reach_names(impacted),
                "decisions": case_decisions(case),
                "mitigations": list(case.mitigations.select_related("owner")),
                "may_decide": case.state == CaseState.OPEN
                and may_decide_case(case, self.request.user),
                "next_forum": next_forum(case) if case.state == CaseState.OPEN else None,
                "form": form or self.form(case, impacted),
                "options": TradeOff.choices,
            },
            status=status,
        )


class CaseDetailView(CaseMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(self.get_case())


class CaseDecideView(CaseMixin, View):
    """POST the trade-off; a refusal shows the page again with the input kept and marked."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from governance.ripple.decisions import case_decide
        from measures.models import Measure

        case = self.get_case()
        if not may_decide_case(case, request.user):
            raise PermissionDenied(
                "Only a member of the case's forum, or of one above it, decides."
            )
        form = self.form(case, case_impacted(case), request.POST)
        if not form.is_valid():
            return self.page(case, form, status=400)
        code = form.cleaned_data.get("sacrifice_code", "").strip()
        sacrifice_id = None
        if code:
            visible = restrict(
                Measure.objects.all(), request.user, "view", organization=self.organization
            )
            sacrifice_id = visible.filter(code=code).values_list("pk", flat=True).first()
            if sacrifice_id is None:
                form.add_error("sacrifice_code", f"No measure {code} that you can see.")
                return self.page(case, form, status=400)
        try:
            case_decide(case=case, by=request.user, **form.service_arguments(sacrifice_id))
        except ValidationError as refused:
            errors = dict(refused.message_dict)
            if "measure" in errors:
                errors["sacrifice_code"] = errors.pop("measure")
            if "to" in errors:
                errors["sacrifice_to"] = errors.pop("to")
            if "measures" in errors:
                errors["replan"] = errors.pop("measures")
            apply_service_errors(form, ValidationError(errors))
            return self.page(case, form, status=400)
        except (AccessDenied, Conflict) as refused:
            form.add_error(None, str(getattr(refused, "message", refused)))
            return self.page(case, form, status=409 if isinstance(refused, Conflict) else 403)
        messages.success(request, "Your decision is recorded.")
        return HttpResponseRedirect(
            reverse("exception-case", kwargs={"org_slug": self.organization.slug, "pk": case.pk})
        )
