"""The controller's validation queue: the filtered list, one item's evidence and verdict, and
approving a selection at once.

Filters live in the query string (GET), so a filtered page can be bookmarked and its links keep
them; htmx swaps only the table when a filter changes, and only an item's detail row when it
is opened or decided. Every page still works as plain links and form posts.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from approvals.forms import QueueFilterForm, ValidationDecisionForm
from approvals.selectors.validations import (
    CountedPaginator,
    validation_entry,
    validation_pending_count,
    validation_queue,
    validation_queue_count,
)
from approvals.services.validations import validation_decide, validations_bulk_approve
from governance.access import can
from governance.errors import AccessDenied, Conflict, ValidationError
from governance.forms.base import apply_service_errors
from governance.views.base import OrgMixin
from measures.models import FinancialEntry, MilestoneEvidence, StatusReport
from measures.views.milestones import INLINE_TYPES

PAGE_SIZE = 50
MAX_ID = 2**63 - 1
# Which order a column's header link asks for, given the current one.
NEXT_SORT = {
    "age": {"oldest": "newest"},
    "size": {"largest": "smallest"},
}
FIRST_SORT = {"age": "oldest", "size": "largest"}
ARIA_SORT = {
    "oldest": ("age", "ascending"),
    "newest": ("age", "descending"),
    "largest": ("size", "descending"),
    "smallest": ("size", "ascending"),
}


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def auto_id(entry: FinancialEntry) -> str:
    """Field ids unique per item: several items' forms may be open on one page."""
    return f"item{entry.pk}-%s"


class ValidationQueueMixin(OrgMixin):
    def queue_url(self, query: str = "") -> str:
        url = reverse("validation-queue", kwargs={"org_slug": self.organization.slug})
        return f"{url}?{query}" if query else url

    def queue_context(self, data: QueryDict, **extra: Any) -> dict[str, Any]:
        """The filter form, the page of items and the links that keep the filters."""
        user = self.request.user
        form = QueueFilterForm(data, user=user, organization=self.organization)
        filters = form.filters()
        page: Page = CountedPaginator(
            validation_queue(user, self.organization, filters),
            PAGE_SIZE,
            total=lambda: validation_queue_count(user, self.organization, filters),
        ).get_page(data.get("page"))
        kept = data.copy()
        kept.pop("page", None)
        sorts = {}
        for column, first in FIRST_SORT.items():
            links = kept.copy()
            links["sort"] = NEXT_SORT[column].get(filters.sort, first)
            sorts[column] = links.urlencode()
        column, direction = ARIA_SORT[filters.sort]
        return {
            "form": form,
            "page": page,
            "query": kept.urlencode(),
            "sort_links": sorts,
            "sorted_column": column,
            "sort_direction": direction,
            "selected": set(),
            **extra,
        }


class ValidationQueueView(ValidationQueueMixin, View):
    """GET: claimed benefits awaiting the user's verdict, filtered, sorted and paginated."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = self.queue_context(request.GET)
        if is_htmx(request) and request.headers.get("HX-Target") == "queue-table":
            return render(request, "approvals/validations/_table.html", context)
        return render(request, "approvals/validations/queue.html", context)


class ValidationCountView(OrgMixin, View):
    """GET: the navigation's badge, how many items await the user (loaded after the page)."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        count = validation_pending_count(request.user, self.organization)
        return render(request, "approvals/validations/_count.html", {"count": count})


class ValidationEntryMixin(ValidationQueueMixin):
    kwargs: dict[str, Any]

    def get_entry(self) -> FinancialEntry:
        """The item of the URL: 404 unless its measure's financials are visible, 403 unless the
        user may validate it (never a measure they own)."""
        pk = self.kwargs["pk"]
        entry = validation_entry(self.request.user, self.organization, pk) if pk <= MAX_ID else None
        if entry is None:
            raise Http404("No such claimed benefit.")
        if not can(self.request.user, "validate", entry):
            raise PermissionDenied("You may not validate this measure's benefit.")
        return entry

    def detail(self, entry: FinancialEntry, status: int = 200, **extra: Any) -> HttpResponse:
        """The item's evidence and verdict form: the detail row's content (htmx) or a page."""
        organization = self.organization
        evidence = list(
            MilestoneEvidence.objects.for_org(organization)
            .filter(measure_id=entry.measure_id)
            .select_related("milestone")
            .order_by("milestone__due_date", "uploaded_at", "id")
        )
        commentary = (
            StatusReport.objects.for_org(organization)
            .filter(measure_id=entry.measure_id)
            .exclude(commentary="")
            .select_related("reported_by")
            .order_by("-period")
            .first()
        )
        context = {
            "entry": entry,
            "evidence": evidence,
            "inline_types": INLINE_TYPES,
            "commentary": commentary,
            "form": extra.pop("form", None) or ValidationDecisionForm(auto_id=auto_id(entry)),
            "query": self.request.GET.urlencode() or self.request.POST.get("query", ""),
            **extra,
        }
        if is_htmx(self.request):
            # htmx swaps 2xx answers only: a refused verdict comes back as 200 with its errors.
            return render(self.request, "approvals/validations/_detail.html", context)
        return render(self.request, "approvals/validations/entry.html", context, status=status)


class ValidationEntryView(ValidationEntryMixin, View):
    """GET: one item's evidence, the owner's latest commentary, and the verdict form."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.detail(self.get_entry())


class ValidationDecideView(ValidationEntryMixin, View):
    """POST ``decision``, ``amount``, ``reason``: a verdict on one item. A refusal shows the
    form again with the input kept and the errors marked."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        entry = self.get_entry()
        form = ValidationDecisionForm(request.POST, auto_id=auto_id(entry))
        form.is_valid()
        try:
            decided = validation_decide(
                entry=entry,
                decision=request.POST.get("decision", ""),
                amount=request.POST.get("amount") or None,
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
        except AccessDenied as denied:
            raise PermissionDenied(denied.message) from denied
        except ValidationError as invalid:
            apply_service_errors(form, invalid)
            return self.detail(entry, 422, form=form)
        except Conflict as conflict:
            return self.detail(entry, 409, form=form, error=conflict.message)
        counted = decided.validated_amount
        note = (
            f"{entry.measure.code} {decided.period:%Y-%m}: "
            f"{decided.get_validation_display().lower()}"
            + (f", {counted:,.2f} counted." if counted is not None else ".")
        )
        if is_htmx(request):
            return render(
                request, "approvals/validations/_decided.html", {"entry": decided, "note": note}
            )
        messages.success(request, note)
        return HttpResponseRedirect(self.queue_url(request.POST.get("query", "")))


def _posted_ids(values: list[str]) -> tuple[list[int], list[str]]:
    ids, bad = [], []
    for value in values:
        if value.isdigit() and 0 < int(value) <= MAX_ID:
            ids.append(int(value))
        else:
            bad.append(value[:20])
    return ids, bad


class ValidationBulkApproveView(ValidationQueueMixin, View):
    """POST ``ids`` (the selected items) and an optional ``comment``: approve them all as
    claimed, or none of them with every bad item listed."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        query = request.POST.get("query", "")
        ids, bad = _posted_ids(request.POST.getlist("ids"))
        comment = request.POST.get("comment", "")
        problems: list[str] = [f"{value!r} is not an item of the queue." for value in bad]
        if not problems:
            try:
                count = validations_bulk_approve(
                    organization=self.organization, entry_ids=ids, by=request.user, comment=comment
                )
            except ValidationError as invalid:
                problems = [
                    message for messages_ in invalid.message_dict.values() for message in messages_
                ]
            else:
                messages.success(request, f"Approved {count} claimed benefit(s) as claimed.")
                return HttpResponseRedirect(self.queue_url(query))
        context = self.queue_context(
            QueryDict(query),
            bulk_problems=problems,
            comment=comment,
            selected={str(pk) for pk in ids},
        )
        return render(request, "approvals/validations/queue.html", context, status=422)
