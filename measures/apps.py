from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        # Gate criteria, field rules and stage hooks register themselves when their modules
        # load (measures.gates).
        from measures.services import (  # noqa: F401
            capacity,
            dependencies,
            fields,
            figures,
            financials,
            kpis,
            milestones,
            risks,
            stages,
            status,
        )
