from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = "Approvals"

    def ready(self) -> None:
        # Entry hooks register when their modules load (measures.gates); measures loads first,
        # so change control records version 1 of a baseline after measures froze it.
        from approvals.changes import apply  # noqa: F401
