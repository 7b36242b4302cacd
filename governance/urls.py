from django.urls import path

from governance.models import Portfolio, Program, Project
from governance.views.decisions import DecisionLogView
from governance.views.exceptions import (
    CaseDecideView,
    CaseDetailView,
    ExceptionCountView,
    ExceptionInboxView,
)
from governance.views.hierarchy import node_urlpatterns
from governance.views.home import OrganizationHome
from governance.views.members import (
    MemberAddView,
    MemberDetailView,
    MemberGrantView,
    MemberListView,
    MemberRemoveView,
    MemberRevokeView,
)
from governance.views.notifications import (
    NotificationListView,
    NotificationReadAllView,
    NotificationReadView,
)
from governance.views.tokens import TokenCreateView, TokenListView, TokenRevokeView
from governance.views.webhooks import (
    WebhookCreateView,
    WebhookDeleteView,
    WebhookDeliveriesView,
    WebhookEditView,
    WebhookListView,
    WebhookPingView,
    WebhookRedeliverView,
)

urlpatterns = [
    path("", OrganizationHome.as_view(), name="org-home"),
    path("decisions/", DecisionLogView.as_view(), name="decision-log"),
    path("exceptions/", ExceptionInboxView.as_view(), name="exception-inbox"),
    path("exceptions/count/", ExceptionCountView.as_view(), name="exception-count"),
    path("exceptions/<int:pk>/", CaseDetailView.as_view(), name="exception-case"),
    path("exceptions/<int:pk>/decide/", CaseDecideView.as_view(), name="exception-decide"),
    *node_urlpatterns(Portfolio),
    *node_urlpatterns(Program),
    *node_urlpatterns(Project),
    path("settings/tokens/", TokenListView.as_view(), name="token-list"),
    path("settings/tokens/new/", TokenCreateView.as_view(), name="token-create"),
    path("settings/tokens/<int:pk>/revoke/", TokenRevokeView.as_view(), name="token-revoke"),
    path("notifications/", NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/read-all/", NotificationReadAllView.as_view(), name="notifications-read-all"
    ),
    path("notifications/<int:pk>/read/", NotificationReadView.as_view(), name="notification-read"),
    path("settings/webhooks/", WebhookListView.as_view(), name="webhook-list"),
    path("settings/webhooks/new/", WebhookCreateView.as_view(), name="webhook-create"),
    path("settings/webhooks/<int:pk>/", WebhookEditView.as_view(), name="webhook-edit"),
    path("settings/webhooks/<int:pk>/delete/", WebhookDeleteView.as_view(), name="webhook-delete"),
    path("settings/webhooks/<int:pk>/ping/", WebhookPingView.as_view(), name="webhook-ping"),
    path(
        "settings/webhooks/<int:pk>/deliveries/",
        WebhookDeliveriesView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        WebhookRedeliverView.as_view(),
        name="webhook-redeliver",
    ),
    path("members/", MemberListView.as_view(), name="member-list"),
    path("members/add/", MemberAddView.as_view(), name="member-add"),
    path("members/grant/", MemberGrantView.as_view(), name="member-grant"),
    path("members/<int:user_pk>/", MemberDetailView.as_view(), name="member-detail"),
    path("members/<int:user_pk>/revoke/", MemberRevokeView.as_view(), name="member-revoke"),
    path("members/<int:user_pk>/remove/", MemberRemoveView.as_view(), name="member-remove"),
]
