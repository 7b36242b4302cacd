"""The tenant base: every tenant-owned row carries its organization, and queries must say which.

The default manager of a tenant model refuses to evaluate a queryset that was not scoped to an
organization, so a lookup by a bare id from a URL (the classic cross-tenant leak) fails loudly in
development and tests instead of returning another tenant's row. A queryset counts as scoped when

- it was filtered on ``organization`` / ``organization_id`` (``for_org`` does that), or
- it came from a related manager of an already-loaded row (``program.projects.all()``), or
- it was explicitly opened with ``unscoped()``: the greppable escape hatch for migrations and
  platform-level jobs.

On PostgreSQL, row-level security is a second wall under this one (``governance.rls``): inside a
tenant scope even an ``unscoped()`` query only reaches the scope's organization.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.db import models

if TYPE_CHECKING:
    from governance.models.tenancy import Organization


class UnscopedQuery(RuntimeError):
    """A tenant queryset was evaluated without an organization."""


_SCOPING_KEYS = {"organization", "organization_id"}


class TenantQuerySet(models.QuerySet):
    _tenant_scoped: bool = False

    def _clone(self) -> Self:
        clone = super()._clone()
        clone._tenant_scoped = self._tenant_scoped
        return clone

    def for_org(self, organization: Organization | int) -> Self:
        """Rows of one organization: the normal entry point of every tenant query."""
        org_id = organization if isinstance(organization, int) else organization.pk
        return self.filter(organization_id=org_id)

    def unscoped(self) -> Self:
        """All tenants' rows the database shows. Only for migrations and platform jobs."""
        clone = self._chain()  # type: ignore[attr-defined]
        clone._tenant_scoped = True
        return clone

    def _filter_or_exclude(self, negate: bool, args: Any, kwargs: Any) -> Self:
        clone = super()._filter_or_exclude(negate, args, kwargs)
        if not negate and any(key.split("__", 1)[0] in _SCOPING_KEYS for key in kwargs):
            clone._tenant_scoped = True
        return clone

    def _require_scope(self) -> None:
        if not self._tenant_scoped:
            raise UnscopedQuery(
                f"{self.model.__name__} query without an organization: use "
                f"{self.model.__name__}.objects.for_org(org) (or .unscoped() in platform code)."
            )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def count(self) -> int:
        if self._result_cache is None:
            self._require_scope()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._require_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def iterator(self, chunk_size: int | None = None) -> Any:
        self._require_scope()
        return super().iterator(chunk_size=chunk_size)

    def update(self, **kwargs: Any) -> int:
        self._require_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._require_scope()
        return super().delete()


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> TenantQuerySet:
        queryset = super().get_queryset()
        # Related managers (``org.portfolios``, ``program.projects``) carry the parent row in
        # ``instance``; their rows are bound to that parent and so to its tenant.
        if getattr(self, "instance", None) is not None:
            queryset._tenant_scoped = True
        return queryset


class TenantModel(models.Model):
    """Abstract base of every tenant-owned model."""

    organization = models.ForeignKey(
        "governance.Organization", on_delete=models.CASCADE, related_name="+", editable=False
    )

    objects = TenantManager()

    class Meta:
        abstract = True

    def validate_unique(self, exclude: Any = None) -> None:
        # The primary key is unique by construction; checking it would be an unscoped lookup.
        exclude = set(exclude or ()) | {self._meta.pk.name}
        super().validate_unique(exclude=exclude)
