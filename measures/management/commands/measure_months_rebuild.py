"""``manage.py measure_months_rebuild [--org SLUG]``: recompute the measures' monthly figures of
one organization, or of every one, from their series (after a restore from backup, say)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.models import Organization
from governance.rls import tenant_scope
from measures.services.figures import measure_months_rebuild


class Command(BaseCommand):
    help = "Recompute the measures' monthly figures (the dashboards' read model)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="The organization's slug (default: every one).")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("slug")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organization {options['org']!r}.")
        for organization in organizations:
            started = time.perf_counter()
            with tenant_scope(organization.pk):
                rows = measure_months_rebuild(organization_id=organization.pk)
            took = time.perf_counter() - started
            self.stdout.write(f"{organization.slug}: {rows} measure month(s) ({took:.2f} s)")
