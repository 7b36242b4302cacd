"""The in-app inbox: ``/o/<slug>/notifications/``, the signed-in person's own notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from governance.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    notifications_of,
)
from governance.views.base import OrgMixin

PAGE_SIZE = 25


class NotificationListView(OrgMixin, View):
    """Mine, newest first, unread marked; ``?unread=1`` shows only the unread ones."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        rows = notifications_of(request.user, self.organization)
        unread_only = request.GET.get("unread") == "1"
        if unread_only:
            rows = rows.filter(read_at__isnull=True)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            "governance/notifications.html",
            {"page": page, "unread_only": unread_only, "page_name": "Notifications"},
        )


class NotificationReadView(OrgMixin, View):
    """POST: mark one of mine read, then go back (or on to ``next``, a page of this site)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        notification = notifications_of(request.user, self.organization).filter(pk=kwargs["pk"])
        found = notification.first()
        if found is None:
            raise Http404("No such notification.")
        notification_mark_read(notification=found, by=request.user)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("notifications", kwargs={"org_slug": self.organization.slug})
        return HttpResponseRedirect(target)


class NotificationReadAllView(OrgMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        count = notifications_mark_all_read(by=request.user, organization=self.organization)
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
        return HttpResponseRedirect(
            reverse("notifications", kwargs={"org_slug": self.organization.slug})
        )
