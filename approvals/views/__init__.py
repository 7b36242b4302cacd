"""The approvals pages: requests (inbox, a request, decisions) and the validation queue."""

from approvals.views.requests import (
    ApprovalDecisionView,
    ApprovalDetailView,
    ApprovalInboxView,
    ApprovalSubmitView,
    request_url,
)
from approvals.views.validations import (
    ValidationBulkApproveView,
    ValidationCountView,
    ValidationDecideView,
    ValidationEntryView,
    ValidationQueueView,
)

__all__ = [
    "ApprovalDecisionView",
    "ApprovalDetailView",
    "ApprovalInboxView",
    "ApprovalSubmitView",
    "ValidationBulkApproveView",
    "ValidationCountView",
    "ValidationDecideView",
    "ValidationEntryView",
    "ValidationQueueView",
    "request_url",
]
