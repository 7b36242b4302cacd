"""Time the pages and endpoints that must stay fast as tenants grow; write docs/benchmarks.md.

    python -m tests.bench [--quick] [--reps N] [--warmups N] [--only TEXT] [--output PATH]

Runs against PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/throughline_bench;
the database is created if missing), migrates it, seeds a 1k-, a 50k- and a 100k-measure tenant
with 24 months of financial series per measure once (re-used by later runs), then requests every
registered scenario (tests/bench/scenarios*.py) at each size as the tenant's admin, recording wall
time and SQL queries per request. A full run rewrites docs/benchmarks.md; ``--quick`` (1k only,
few repetitions) prints the table and writes a file only when ``--output`` is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import math
import os
import pkgutil
import platform
import statistics
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.bench.scenarios import BenchTenant, Scenario

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/throughline_bench"
SIZES = {"1k": 1_000, "50k": 50_000, "100k": 100_000}
SCOPED_GRANTS = 300
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "benchmarks.md"


@dataclass
class Result:
    scenario: str
    tenant: str
    measures: int
    url: str
    queries: int | None  # None: counted nowhere, the work ran in a worker
    samples_ms: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1k tenant only, few repetitions")
    parser.add_argument("--reps", type=int, help="timed requests per scenario (default 30)")
    parser.add_argument("--warmups", type=int, help="untimed requests first (default 3)")
    parser.add_argument("--only", default="", help="run scenarios whose name contains this")
    parser.add_argument("--output", type=Path, help=f"Markdown file to write (default {OUTPUT})")
    args = parser.parse_args(argv)
    args.reps = args.reps or (5 if args.quick else 30)
    args.warmups = args.warmups if args.warmups is not None else (1 if args.quick else 3)
    if args.reps < 1 or args.warmups < 1:
        parser.error("--reps and --warmups must be at least 1")
    if args.output is None and not args.quick:
        args.output = OUTPUT
    return args


def _environment() -> str:
    # Production-like settings: no debug overhead, and no broker needed for follow-up tasks.
    os.environ["DEBUG"] = "false"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    # The rate limit still runs (its cost is part of every request), but many --reps must not
    # turn timed requests into quick 429s.
    os.environ.setdefault("API_RATE_USER", "1000000/min")
    # As in production: requests run as the application role, under row-level security.
    os.environ.setdefault("DATABASE_ROLE", "throughline_app")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"bench: DATABASE_URL must point at PostgreSQL, not {url.split(':')[0]}.")
    os.environ["DATABASE_URL"] = url
    return url


def _database_create(url: str) -> None:
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        connect_timeout=5,
    )
    connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
                print(f"bench: created database {config['NAME']}")
    finally:
        connection.close()


def _tenants(sizes: dict[str, int]) -> tuple[list[BenchTenant], dict[str, str]]:
    from django.db import connection

    from reporting.demo import bench_organization_seed
    from reporting.demo.bench_queue import bench_validation_queue_seed
    from tests.bench.scenarios import BenchTenant

    tenants, seeding = [], {}
    for label, measures in sizes.items():
        result = bench_organization_seed(slug=f"bench-{label}", measures=measures)
        seeding[label] = f"seeded in {result.seconds:.1f} s" if result.seeded else "re-used"
        print(f"bench: tenant bench-{label} ({measures:,} measures) {seeding[label]}")
        scoped = _scoped_member(result.organization)
        controller = bench_validation_queue_seed(result.organization, result.admin)
        owner = _busiest_owner(result.organization)
        tenants.append(
            BenchTenant(result.organization, result.admin, measures, scoped, controller, owner)
        )
    if any(note != "re-used" for note in seeding.values()):
        # Fresh planner statistics, so the first run after seeding is not timed on guesses.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return tenants, seeding


def _busiest_owner(organization: Any) -> Any:
    """The member owning the most live measures (the first by id on a tie): "my work" runs as
    them."""
    from django.db.models import Count

    from governance.rls import tenant_scope
    from measures.models import Measure

    with tenant_scope(organization.pk):
        busiest = (
            Measure.objects.for_org(organization)
            .filter(archived_at__isnull=True, owner__isnull=False)
            .values("owner")
            .annotate(n=Count("pk"))
            .order_by("-n", "owner")
            .first()
        )
    if busiest is None:
        return None
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=busiest["owner"])


def _scoped_member(organization: Any) -> Any:
    """``<slug>-scoped``: a member with 300 grants spread over programs, projects, packages and
    measures (the same picks on every run), and none on the organization."""
    from django.contrib.auth import get_user_model

    from governance.access import grants_of
    from governance.models import Membership, Program, Project, Role
    from governance.rls import tenant_scope
    from governance.services.grants import assign_role
    from measures.models import Measure, MeasurePackage

    user, _ = get_user_model().objects.get_or_create(username=f"{organization.slug}-scoped")
    with tenant_scope(organization.pk):
        Membership.objects.get_or_create(organization=organization, user=user)
        held = sum(
            len(ids) for ids in grants_of(user, organization).nodes.get("node_view", {}).values()
        )
        if held >= SCOPED_GRANTS:
            return user
        plan = (
            (Program, Role.VIEWER, 3),
            (Project, Role.CONTRIBUTOR, 20),
            (MeasurePackage, Role.CONTROLLER, 77),
            (Measure, Role.VIEWER, SCOPED_GRANTS),
        )
        granted = 0
        for model, role, wanted in plan:
            rows = model.objects.for_org(organization).order_by("id")
            total = rows.count()
            wanted = min(wanted, SCOPED_GRANTS - granted, total)
            step = max(1, total // max(wanted, 1))
            for node in list(rows[::step][:wanted]) if wanted else []:
                assign_role(user, role, node)
                granted += 1
    return type(user).objects.get(pk=user.pk)


def _scenarios(only: str) -> list[Scenario]:
    import tests.bench
    from tests.bench.scenarios import SCENARIOS

    for module in pkgutil.iter_modules(tests.bench.__path__):
        if module.name.startswith("scenarios"):
            importlib.import_module(f"tests.bench.{module.name}")
    return [item for item in SCENARIOS if only.lower() in item.name.lower()]


def _run(
    scenario: Scenario, tenant: BenchTenant, clients: dict[tuple[bool, str], Any], args: Any
) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = scenario.url(tenant)
    client = clients[(scenario.api, scenario.user)]
    sent = 0

    def send() -> Any:
        nonlocal sent
        sent += 1
        if scenario.call is not None:
            scenario.call(tenant)
            return None
        if scenario.body is None:
            return getattr(client, scenario.method.lower())(url)
        # Building the body is timed too: a few milliseconds for 5,000 rows.
        body = scenario.body(tenant, sent)
        return getattr(client, scenario.method.lower())(
            url, body, **({"format": "json"} if scenario.api else {})
        )

    queries = 0
    for _ in range(args.warmups):
        # Queries are counted on the last warm-up only: the first request of a session may
        # fill caches, and capturing them would slow down the timed requests.
        if scenario.prepare is not None:
            scenario.prepare(tenant)  # neither timed nor counted
        with CaptureQueriesContext(connection) as captured:
            response = send()
        queries = len(captured.captured_queries)
        if response is not None and response.status_code != scenario.status:
            sys.exit(
                f"bench: {scenario.name} at {tenant.slug}: {scenario.method} {url} answered "
                f"{response.status_code}, expected {scenario.status}."
            )
    samples = []
    for _ in range(args.reps):
        if scenario.prepare is not None:
            scenario.prepare(tenant)
        started = time.perf_counter()
        send()
        samples.append((time.perf_counter() - started) * 1000)
    counted = None if scenario.worker else queries
    return Result(scenario.name, tenant.slug, tenant.measures, url, counted, samples)


def _machine() -> dict[str, str]:
    import django
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        database = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    settings = connection.settings_dict
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs ({cpu}){memory}, {platform.system()} "
        f"{platform.release()}",
        "software": f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"{database} at {settings.get('HOST') or 'localhost'}:{settings.get('PORT') or 5432}",
    }


def _grows_with_data(results: list[Result]) -> dict[str, dict[int, int]]:
    by_scenario: dict[str, dict[int, int]] = {}
    for result in results:
        if result.queries is not None:
            by_scenario.setdefault(result.scenario, {})[result.measures] = result.queries
    return {name: counts for name, counts in by_scenario.items() if len(set(counts.values())) > 1}


def _filter_cost(results: list[Result]) -> list[str]:
    """What the permission filter adds: each "(300 grants)" scenario against its twin."""
    from tests.bench.scenarios import GRANTS_SUFFIX

    by_key = {(result.scenario, result.measures): result for result in results}
    lines = []
    for (name, measures), filtered in by_key.items():
        plain = by_key.get((name.removesuffix(GRANTS_SUFFIX), measures))
        if not name.endswith(GRANTS_SUFFIX) or plain is None:
            continue
        lines.append(
            f"| {plain.scenario} | {measures:,} | {plain.p95_ms:.1f} | {filtered.p95_ms:.1f} | "
            f"{filtered.p95_ms / plain.p95_ms:.2f} |"
        )
    if not lines:
        return []
    return [
        "",
        f"Permission filtering: the same request as the admin (a grant on the organization, so no "
        f"filter) and as a member holding {SCOPED_GRANTS} grants spread over programs, projects, "
        "packages and measures (the filter: one ancestor-key subquery per level they hold "
        "grants on).",
        "",
        "| scenario | measures | p95 ms unfiltered | p95 ms, 300 grants | filtered / unfiltered |",
        "|---|---:|---:|---:|---:|",
        *lines,
    ]


ORM_ROLLUP = "Selector: portfolio roll-up (ORM, one grouped query)"
RAW_ROLLUP = "Raw SQL: portfolio roll-up aggregate"


def _orm_against_sql(results: list[Result]) -> list[str]:
    """The roll-up selector against the same aggregate written by hand, per size."""
    by_key = {(result.scenario, result.measures): result for result in results}
    lines = []
    for (name, measures), orm in sorted(by_key.items(), key=lambda item: item[0][1]):
        raw = by_key.get((RAW_ROLLUP, measures))
        if name != ORM_ROLLUP or raw is None:
            continue
        lines.append(
            f"| {measures:,} | {orm.median_ms:.1f} | {raw.median_ms:.1f} | "
            f"{orm.median_ms / raw.median_ms:.2f} |"
        )
    if not lines:
        return []
    return [
        "",
        "Portfolio roll-up by period and stage: the selector (ORM, access filter, grouping into "
        "figures) against the bare aggregate in raw SQL.",
        "",
        "| measures | ORM median ms | raw SQL median ms | ORM / SQL |",
        "|---:|---:|---:|---:|",
        *lines,
    ]


def _report(results: list[Result], seeding: dict[str, str], args: Any) -> str:
    machine = _machine()
    lines = [
        "# Benchmarks",
        "",
        "Reproduce with `make bench` (`python -m tests.bench`; `make bench ARGS=--quick` for a "
        "smoke run). This file is rewritten by every full run.",
        "",
        f"Each figure is the wall time of one request through Django's test client, logged in as "
        f"the tenant's admin unless the scenario says otherwise (no network or web server; DEBUG "
        f"off), over {args.reps} requests after {args.warmups} warm-up(s); queries are the SQL "
        "statements one request makes.",
        "",
        f"- Date: {machine['date']}",
        f"- Machine: {machine['machine']}",
        f"- Software: {machine['software']}",
        "- Tenants: "
        + "; ".join(
            f"bench-{label} ({SIZES[label]:,} measures, {note})" for label, note in seeding.items()
        ),
        "",
        "| scenario | measures | median ms | p95 ms | queries |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.scenario} | {r.measures:,} | {r.median_ms:.1f} | {r.p95_ms:.1f} | "
        f"{'worker' if r.queries is None else r.queries} |"
        for r in results
    ]
    lines += _filter_cost(results)
    lines += _orm_against_sql(results)
    growing = _grows_with_data(results)
    lines.append("")
    if len({result.measures for result in results}) < 2:
        lines.append("Only one tenant size ran, so query counts were not compared across sizes.")
    elif growing:
        lines.append("Query counts that grow with the data (an N+1 to fix):")
        lines.append("")
        for name, counts in growing.items():
            spread = ", ".join(f"{queries} at {size:,}" for size, queries in sorted(counts.items()))
            lines.append(f"- {name}: {spread}")
    else:
        lines.append("Every scenario makes the same number of queries at every size.")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    args = _arguments(argv)
    url = _environment()
    _database_create(url)

    import django

    # WhiteNoise warns that collectstatic has not run; static files are not what is measured.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from rest_framework.test import APIClient

    call_command("migrate", interactive=False, verbosity=0)
    sizes = {"1k": SIZES["1k"]} if args.quick else SIZES
    tenants, seeding = _tenants(sizes)
    scenarios = _scenarios(args.only)
    if not scenarios:
        sys.exit(f"bench: no scenario matches {args.only!r}.")

    results = []
    for tenant in tenants:
        clients: dict[tuple[bool, str], Any] = {}
        for user in ("admin", "scoped", "controller", "owner"):
            if getattr(tenant, user) is None:
                continue
            for api, client_class in ((False, Client), (True, APIClient)):
                clients[(api, user)] = client = client_class()
                client.force_login(getattr(tenant, user))
        for scenario in scenarios:
            result = _run(scenario, tenant, clients, args)
            print(
                f"bench: {result.scenario} @ {result.measures:,}: median {result.median_ms:.1f} "
                f"ms, p95 {result.p95_ms:.1f} ms, "
                + (
                    "queries in the worker"
                    if result.queries is None
                    else f"{result.queries} queries"
                )
            )
            results.append(result)
    # Rows grouped by scenario, smaller tenant first, so sizes compare at a glance.
    order = {item.name: index for index, item in enumerate(scenarios)}
    results.sort(key=lambda result: (order[result.scenario], result.measures))

    report = _report(results, seeding, args)
    print()
    print(report)
    for name, counts in _grows_with_data(results).items():
        print(f"bench: WARNING: {name} makes a different number of queries per size: {counts}")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report)
        raw = args.output.with_suffix(".raw.json")
        raw.write_text(json.dumps([asdict(result) for result in results], indent=1))
        print(f"bench: wrote {args.output} and {raw.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
