from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        # Gate criteria and field rules register themselves when their modules load.
        from measures.services import fields, stages  # noqa: F401
