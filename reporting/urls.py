from django.urls import path

from reporting.views.dashboards import DashboardView, WidgetCsvView

WIDGET_CSV = "widget/<slug:key>.csv"

urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path(f"dashboard/{WIDGET_CSV}", WidgetCsvView.as_view(), name="dashboard-widget"),
    path("my/dashboard/", DashboardView.as_view(level="mine"), name="my-dashboard"),
    path(
        f"my/dashboard/{WIDGET_CSV}",
        WidgetCsvView.as_view(level="mine"),
        name="my-dashboard-widget",
    ),
]
for _level, _segment in (
    ("portfolio", "portfolios"),
    ("program", "programs"),
    ("project", "projects"),
):
    urlpatterns += [
        path(
            f"{_segment}/<int:pk>/dashboard/",
            DashboardView.as_view(level=_level),
            name=f"{_level}-dashboard",
        ),
        path(
            f"{_segment}/<int:pk>/dashboard/{WIDGET_CSV}",
            WidgetCsvView.as_view(level=_level),
            name=f"{_level}-dashboard-widget",
        ),
    ]
