"""Check the audit trail's hash chains; exit non-zero naming the first broken event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.audit.verify import audit_chains_verify
from governance.models import Organization


class Command(BaseCommand):
    help = (
        "Recompute every audit event's hash and link, organization by organization, and name "
        "the first broken event of each chain (hash mismatch, broken link or gap in seq)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this organization.")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["org"]
        if slug is not None and not Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"No organization {slug!r}.")
        broken = 0
        for report in audit_chains_verify(slug=slug):
            if report.broken is None:
                self.stdout.write(f"{report.organization}: {report.events} events, chain intact")
            else:
                broken += 1
                self.stderr.write(f"BROKEN {report.broken}")
        if broken:
            raise CommandError(f"{broken} broken audit chain{'s' if broken > 1 else ''}.")
