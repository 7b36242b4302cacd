"""The Baseline tab's pages under ``o/<org_slug>/``."""

from django.urls import path

from approvals.changes.views import (
    BaselineChangePreviewView,
    BaselineChangeRequestView,
    BaselineHistoryView,
    MeasureBaselineView,
)

urlpatterns = [
    path("measures/<int:pk>/baseline/", MeasureBaselineView.as_view(), name="measure-baseline"),
    path(
        "measures/<int:pk>/baseline/request/",
        BaselineChangeRequestView.as_view(),
        name="measure-baseline-request",
    ),
    path(
        "measures/<int:pk>/baseline/preview/",
        BaselineChangePreviewView.as_view(),
        name="measure-baseline-preview",
    ),
    path(
        "measures/<int:pk>/baseline/history/",
        BaselineHistoryView.as_view(),
        name="measure-baseline-history",
    ),
]
