"""Recompute the exception cases of one organization, or of all: the full recompute (what the
nightly task runs), or only the marks waiting in the outbox with ``--pending``."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.models import Organization
from governance.ripple.cases import cases_recompute
from governance.ripple.outbox import ripple_process
from governance.rls import tenant_scope


class Command(BaseCommand):
    help = "Recompute exception cases (full by default; --pending: only the outbox's marks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="The organization's slug (default: every one).")
        parser.add_argument("--pending", action="store_true", help="Only the dirty measures.")

    def handle(self, *args: Any, **options: Any) -> None:
        organizations = Organization.objects.order_by("slug")
        if options["org"]:
            organizations = organizations.filter(slug=options["org"])
            if not organizations.exists():
                raise CommandError(f"No organization {options['org']!r}.")
        for organization in organizations:
            started = time.perf_counter()
            with tenant_scope(organization.pk):
                if options["pending"]:
                    summary = ripple_process(organization=organization)
                else:
                    summary = cases_recompute(organization=organization)
            took = time.perf_counter() - started
            if summary is None:
                self.stdout.write(f"{organization.slug}: nothing pending ({took:.2f} s)")
                continue
            self.stdout.write(
                f"{organization.slug}: {summary.roots} root cause(s); opened {summary.opened}, "
                f"updated {summary.updated}, unchanged {summary.unchanged}, "
                f"cleared {summary.cleared} ({took:.2f} s)"
            )
