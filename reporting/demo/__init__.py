"""Seeded organizations: Acme Manufacturing for demos, large synthetic tenants for benchmarks."""

from reporting.demo.acme import DemoSeedResult, demo_organization_seed
from reporting.demo.bench import BenchSeedResult, bench_organization_seed, bench_shape

__all__ = [
    "BenchSeedResult",
    "DemoSeedResult",
    "bench_organization_seed",
    "bench_shape",
    "demo_organization_seed",
]
