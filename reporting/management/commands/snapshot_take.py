"""``manage.py snapshot_take --org SLUG [--kind manual] [--period YYYY-MM-DD]``: take a snapshot
of an organization's measures now (idempotent: the same kind and period again changes nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from governance.errors import ValidationError
from governance.models import Organization
from governance.rls import tenant_scope
from reporting.models import SnapshotKind
from reporting.services.snapshots import snapshot_take


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (use YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Take a snapshot of an organization's measures (as reported, for later comparison)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument(
            "--kind", default=SnapshotKind.MANUAL, choices=SnapshotKind.values, help="The kind."
        )
        parser.add_argument("--period", help="The day it stands for (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization {options['org']!r}.")
        period = _date(options["period"]) if options["period"] else timezone.localdate()
        with tenant_scope(organization.pk):
            try:
                snapshot = snapshot_take(
                    organization=organization, kind=options["kind"], period=period
                )
            except ValidationError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{organization.slug}: {snapshot} with {snapshot.measure_count} measure(s) "
            f"(id {snapshot.pk})"
        )
