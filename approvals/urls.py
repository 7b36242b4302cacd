from django.urls import path

from approvals.changes.urls import urlpatterns as change_urls
from approvals.policy_views import ApprovalPolicySettingsView
from approvals.views import (
    ApprovalDecisionView,
    ApprovalDetailView,
    ApprovalInboxView,
    ApprovalSubmitView,
    ValidationBulkApproveView,
    ValidationCountView,
    ValidationDecideView,
    ValidationEntryView,
    ValidationQueueView,
)
from measures.models import Measure

urlpatterns = [
    path(
        "settings/approvals/",
        ApprovalPolicySettingsView.as_view(),
        name="approval-policy-settings",
    ),
    path("approvals/", ApprovalInboxView.as_view(), name="approvals-inbox"),
    path("approvals/<int:pk>/", ApprovalDetailView.as_view(), name="approval-detail"),
    path(
        "approvals/<int:pk>/approve/",
        ApprovalDecisionView.as_view(decision="approve"),
        name="approval-approve",
    ),
    path(
        "approvals/<int:pk>/reject/",
        ApprovalDecisionView.as_view(decision="reject"),
        name="approval-reject",
    ),
    path(
        "approvals/<int:pk>/withdraw/",
        ApprovalDecisionView.as_view(decision="withdraw"),
        name="approval-withdraw",
    ),
    path(
        "measures/<int:pk>/request-approval/",
        ApprovalSubmitView.as_view(model=Measure),
        name="approval-submit",
    ),
    *change_urls,
    path("validations/", ValidationQueueView.as_view(), name="validation-queue"),
    path("validations/count/", ValidationCountView.as_view(), name="validation-count"),
    path(
        "validations/bulk-approve/",
        ValidationBulkApproveView.as_view(),
        name="validation-bulk-approve",
    ),
    path("validations/<int:pk>/", ValidationEntryView.as_view(), name="validation-entry"),
    path("validations/<int:pk>/decide/", ValidationDecideView.as_view(), name="validation-decide"),
]
