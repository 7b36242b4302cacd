from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_row_level_security(using: str, **kwargs: Any) -> None:
    from governance.rls import sync_row_level_security

    sync_row_level_security(using)


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from governance.security import connect_signals

        connect_signals()
        # After every migrate (and flush), every tenant table of every app gets its
        # row-level security; sent once, for this app, after all apps have migrated.
        post_migrate.connect(
            _sync_row_level_security, sender=self, dispatch_uid="governance.rls.sync"
        )
