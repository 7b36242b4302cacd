"""Reads of the approvals app: approval requests, and the controller's validation queue."""

from approvals.selectors.requests import (
    approvers_of_step,
    request_rows,
    requests_awaiting,
    requests_visible,
)
from approvals.selectors.validations import (
    QUEUE_LINES,
    CountedPaginator,
    QueueFilters,
    validation_entry,
    validation_pending_count,
    validation_queue,
    validation_queue_count,
)

__all__ = [
    "QUEUE_LINES",
    "CountedPaginator",
    "QueueFilters",
    "approvers_of_step",
    "request_rows",
    "requests_awaiting",
    "requests_visible",
    "validation_entry",
    "validation_pending_count",
    "validation_queue",
    "validation_queue_count",
]
