"""Webhook endpoints of the organization: list, create (the secret shown once), edit, delete,
send a test, and the delivery log with redelivery. For organization administrators only.

Every rule lives in ``governance.webhooks.services``; these views only translate.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from governance.errors import Conflict, ValidationError
from governance.forms.base import apply_service_errors
from governance.forms.webhooks import WebhookForm
from governance.models import DeliveryState, WebhookEndpoint
from governance.views.base import OrgMixin
from governance.views.members import OrgAdminRequired
from governance.webhooks.registry import events
from governance.webhooks.selectors import (
    deliveries_of,
    endpoints_administered,
    endpoints_with_counts,
)
from governance.webhooks.services import (
    MAX_ATTEMPTS,
    delivery_redeliver,
    endpoint_create,
    endpoint_delete,
    endpoint_ping,
    endpoint_update,
)

# The secret of an endpoint just created waits in the session for exactly one page view.
NEW_SECRET_SESSION_KEY = "throughline.new_webhook_secret"  # noqa: S105 - a session key name
LOG_PAGE_SIZE = 25


class WebhookMixin(OrgMixin, OrgAdminRequired):
    model = WebhookEndpoint  # names the object of the URL in the security log
    kwargs: dict[str, Any]

    def endpoint(self) -> WebhookEndpoint:
        found = (
            endpoints_administered(self.request.user, self.organization)
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if found is None:
            raise Http404("No such webhook.")
        return found

    def to_log(self, endpoint: WebhookEndpoint) -> HttpResponse:
        return redirect("webhook-deliveries", org_slug=self.organization.slug, pk=endpoint.pk)


@method_decorator(never_cache, name="dispatch")
class WebhookListView(WebhookMixin, TemplateView):
    template_name = "governance/webhooks/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        endpoints = list(endpoints_with_counts(self.request.user, self.organization))
        context["endpoints"] = endpoints
        context["events"] = events()
        new = self.request.session.get(NEW_SECRET_SESSION_KEY)
        if new and new.get("organization") == self.organization.pk:
            del self.request.session[NEW_SECRET_SESSION_KEY]
            context["new_endpoint"] = next((e for e in endpoints if e.pk == new["id"]), None)
            context["new_secret"] = new["secret"]
        return context


class WebhookFormView(WebhookMixin, FormView):
    template_name = "governance/webhooks/form.html"
    form_class = WebhookForm

    def form_invalid(self, form: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=422)


class WebhookCreateView(WebhookFormView):
    def form_valid(self, form: WebhookForm) -> HttpResponse:
        try:
            endpoint, secret = endpoint_create(
                organization=self.organization, by=self.request.user, **form.endpoint_values()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        self.request.session[NEW_SECRET_SESSION_KEY] = {
            "organization": self.organization.pk,
            "id": endpoint.pk,
            "secret": secret,
        }
        return redirect("webhook-list", org_slug=self.organization.slug)


class WebhookEditView(WebhookFormView):
    def get_initial(self) -> dict[str, Any]:
        endpoint = self.endpoint()
        return {
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "is_active": endpoint.is_active,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["endpoint"] = self.endpoint()
        return context

    def form_valid(self, form: WebhookForm) -> HttpResponse:
        try:
            endpoint_update(
                endpoint=self.endpoint(), by=self.request.user, **form.endpoint_values()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Saved the webhook.")
        return redirect("webhook-list", org_slug=self.organization.slug)


class WebhookDeleteView(WebhookMixin, TemplateView):
    """GET: the confirmation page. POST: delete, then back to the list."""

    template_name = "governance/webhooks/delete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["endpoint"] = self.endpoint()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        endpoint = self.endpoint()
        endpoint_delete(endpoint=endpoint, by=request.user)
        messages.success(request, f"Deleted the webhook to {endpoint.url}.")
        return redirect("webhook-list", org_slug=self.organization.slug)


class WebhookPingView(WebhookMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        endpoint = self.endpoint()
        endpoint_ping(endpoint=endpoint, by=request.user)
        messages.success(request, "Sent a test event (ping); its delivery is at the top.")
        return self.to_log(endpoint)


@method_decorator(never_cache, name="dispatch")
class WebhookDeliveriesView(WebhookMixin, TemplateView):
    template_name = "governance/webhooks/deliveries.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        endpoint = self.endpoint()
        state = self.request.GET.get("state", "")
        if state not in DeliveryState.values:
            state = ""
        paginator = Paginator(deliveries_of(endpoint, state=state), LOG_PAGE_SIZE)
        context.update(
            endpoint=endpoint,
            page=paginator.get_page(self.request.GET.get("page")),
            state=state,
            states=DeliveryState.choices,
            max_attempts=MAX_ATTEMPTS,
            query=f"state={state}" if state else "",
        )
        return context


class WebhookRedeliverView(WebhookMixin, TemplateView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        endpoint = self.endpoint()
        delivery = (
            deliveries_of(endpoint)
            .select_related("endpoint")
            .filter(pk=self.kwargs["delivery_pk"])
            .first()
        )
        if delivery is None:
            raise Http404("No such delivery.")
        try:
            delivery_redeliver(delivery=delivery, by=request.user)
        except Conflict as conflict:
            messages.error(request, conflict.message)
        else:
            messages.success(request, "Sent the event again as a new delivery.")
        return self.to_log(endpoint)
