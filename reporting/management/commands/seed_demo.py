"""``manage.py seed_demo [--measures N --orgs K]``: the demo organization, plus bench tenants."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from governance.models import Role
from reporting.demo import bench_organization_seed, demo_organization_seed

DEMO_URL = "http://127.0.0.1:8000"
DEFAULT_BENCH_MEASURES = 50_000


# The seed runs hundreds of follow-up tasks, eagerly in the embedded mode: a log line each
# (and kombu's warning that no broker host is set, as an eager task still builds a producer)
# would bury the table of users the command prints.
QUIET_WHILE_SEEDING = {"celery.app.trace": logging.WARNING, "kombu.connection": logging.ERROR}


@contextmanager
def _quiet(levels: dict[str, int]) -> Iterator[None]:
    loggers = {name: logging.getLogger(name) for name in levels}
    before = {name: logger.level for name, logger in loggers.items()}
    for name, logger in loggers.items():
        logger.setLevel(levels[name])
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(before[name])


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


class Command(BaseCommand):
    help = (
        "Seed the Acme Manufacturing demo organization (safe to re-run). With --measures and/or "
        "--orgs, also seed synthetic tenants bench-1 … bench-K of N measures each."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--measures",
            type=_positive,
            help=f"Measures per bench tenant (default {DEFAULT_BENCH_MEASURES:,} with --orgs).",
        )
        parser.add_argument(
            "--orgs", type=_positive, help="How many bench tenants (default 1 with --measures)."
        )

    def handle(self, *args: Any, measures: int | None, orgs: int | None, **options: Any) -> None:
        with _quiet(QUIET_WHILE_SEEDING):
            result = demo_organization_seed()
        org = result.organization
        state = "created" if result.created else "already there"
        self.stdout.write(f"{org.name} ({org.slug}): {state}, {result.measures:,} measures.\n")
        rows = [("Username", "Role", "Password")]
        rows += [
            (person.username, Role(person.role).label, settings.DEMO_PASSWORD)
            for person in result.users
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        for row in rows:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(f"  {line.rstrip()}")
        self.stdout.write(f"\nOpen {DEMO_URL} and sign in as one of them.")
        integrator = result.integrator.username
        if result.token_key:
            self.stdout.write(
                f"API token for {integrator} (write): {result.token_key}\n"
                "  Shown only now; send it as 'Authorization: Token <key>'."
            )
        else:
            self.stdout.write(
                f"API token for {integrator}: issued when {org.slug} was first seeded, "
                "not shown again."
            )

        if measures is None and orgs is None:
            return
        for number in range(1, (orgs or 1) + 1):
            bench = bench_organization_seed(
                slug=f"bench-{number}", measures=measures or DEFAULT_BENCH_MEASURES
            )
            slug = bench.organization.slug
            if bench.seeded:
                self.stdout.write(
                    f"{slug}: {bench.measures:,} measures seeded in {bench.seconds:.1f} s "
                    f"(sign in as {bench.admin.username})."
                )
            else:
                self.stdout.write(f"{slug}: already has {bench.measures:,} measures, skipped.")
