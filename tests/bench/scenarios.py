"""Benchmark scenarios: one request each, timed at every tenant size by ``python -m tests.bench``.

A scenario registers itself with the ``@scenario`` decorator on a function that returns the URL
for a tenant. The runner imports this module and every ``tests/bench/scenarios_*.py`` next to
it, so an app adds its pages (approval queue, dashboards, exports …) with a module of its own:

    from tests.bench.scenarios import BenchTenant, scenario

    @scenario("UI: approval queue")
    def approval_queue(tenant: BenchTenant) -> str:
        return reverse("approval-queue", kwargs={"org_slug": tenant.slug})
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from governance.models import HierarchyNode, Organization, Program


@dataclass(frozen=True)
class BenchTenant:
    """A seeded tenant the scenarios run against, and the admin they run as."""

    organization: Organization
    admin: Any
    measures: int
    # A member holding 300 role grants spread over the hierarchy, none on the organization:
    # every read of theirs goes through the permission filter.
    scoped: Any = None
    # A controller of a few packages with 10,000 claimed benefits awaiting their verdict
    # (reporting.demo.bench_queue): the validation queue's scenarios run as them.
    controller: Any = None
    # The member owning the most live measures: "my work" runs as them.
    owner: Any = None

    @property
    def slug(self) -> str:
        return self.organization.slug

    def first(self, model: type[HierarchyNode]) -> HierarchyNode:
        """The first node of a level by code: the same pick on every run."""
        node = model.objects.for_org(self.organization).order_by("code").first()
        if node is None:
            raise LookupError(f"{self.slug} has no {model._meta.verbose_name}.")
        return node


@dataclass(frozen=True)
class Scenario:
    name: str
    url: Callable[[BenchTenant], str]
    api: bool = False  # DRF's APIClient instead of Django's test client
    status: int = 200  # any other answer stops the run: a failing page has no timing
    user: str = "admin"  # or "scoped": the member with 300 grants; "controller"; "owner"
    # Writes: the HTTP method and ``body(tenant, n)`` for the n-th request (sent as JSON on the
    # API), so that repeated requests can write different values.
    method: str = "GET"
    body: Callable[[BenchTenant, int], Any] | None = None
    # A comparison that is not a request (a selector, or raw SQL): ``call(tenant)`` is timed and
    # ``url`` only labels it.
    call: Callable[[BenchTenant], Any] | None = None
    # Run before every request, outside the timed part (e.g. putting back rows a write changed).
    prepare: Callable[[BenchTenant], None] | None = None
    # The work happens in a Celery worker: its queries are not this process's to count.
    worker: bool = False


SCENARIOS: list[Scenario] = []


def scenario(
    name: str,
    *,
    api: bool = False,
    status: int = 200,
    user: str = "admin",
    method: str = "GET",
    body: Callable[[BenchTenant, int], Any] | None = None,
    call: Callable[[BenchTenant], Any] | None = None,
    prepare: Callable[[BenchTenant], None] | None = None,
    worker: bool = False,
) -> Callable[[Callable[[BenchTenant], str]], Callable[[BenchTenant], str]]:
    """Register the decorated ``url(tenant)`` function as a scenario called ``name``."""

    def register(url: Callable[[BenchTenant], str]) -> Callable[[BenchTenant], str]:
        if any(existing.name == name for existing in SCENARIOS):
            raise ValueError(f"Two benchmark scenarios are called {name!r}.")
        SCENARIOS.append(
            Scenario(
                name=name,
                url=url,
                api=api,
                status=status,
                user=user,
                method=method,
                body=body,
                call=call,
                worker=worker,
                prepare=prepare,
            )
        )
        return url

    return register


# API paths are spelled out: the router's route names are shadowed by the UI's (both
# register ``measure-list`` …), so reversing them would give the HTML pages.
# The admin's grant is on the organization, so their reads carry no permission filter: the
# "(300 grants)" twin of a scenario is the same request through the filter.
GRANTS_SUFFIX = " (300 grants)"


@scenario("API: measures list, first page", api=True)
def api_measure_list(tenant: BenchTenant) -> str:
    return f"/api/v1/orgs/{tenant.slug}/measures/"


scenario(f"API: measures list, first page{GRANTS_SUFFIX}", api=True, user="scoped")(
    api_measure_list
)


@scenario("API: programs list, first page", api=True)
def api_program_list(tenant: BenchTenant) -> str:
    return f"/api/v1/orgs/{tenant.slug}/programs/"


@scenario("UI: program detail")
def ui_program_detail(tenant: BenchTenant) -> str:
    return reverse(
        "program-detail", kwargs={"org_slug": tenant.slug, "pk": tenant.first(Program).pk}
    )


@scenario("UI: measure list")
def ui_measure_list(tenant: BenchTenant) -> str:
    return reverse("measure-list", kwargs={"org_slug": tenant.slug})


scenario(f"UI: measure list{GRANTS_SUFFIX}", user="scoped")(ui_measure_list)
