"""Checking an organization's audit chain: every event's hash, link and position, in order.

The walk reads the chain in seq order a chunk at a time (keyset pagination on the unique
``(organization, seq)`` index), so memory stays constant however long the chain is; each chunk
is read in its own short transaction in the organization's tenant scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from governance.audit.chain import hash_of
from governance.models import AuditEvent, Organization
from governance.models.audit import GENESIS_HASH
from governance.rls import tenant_scope

CHUNK = 2_000

HASH_MISMATCH = "hash mismatch"
BROKEN_LINK = "broken link"
GAP = "gap in seq"


@dataclass(frozen=True)
class ChainBreak:
    """The first event where an organization's chain does not hold."""

    organization: str  # slug
    seq: int
    event_id: int
    problem: str  # HASH_MISMATCH, BROKEN_LINK or GAP
    detail: str

    def __str__(self) -> str:
        return (
            f"{self.organization}: event {self.event_id} (seq {self.seq}): "
            f"{self.problem}: {self.detail}"
        )


@dataclass(frozen=True)
class ChainReport:
    """What walking one organization's chain found."""

    organization: str  # slug
    events: int  # events checked, up to and including a break
    broken: ChainBreak | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _chunks(organization_id: int, chunk_size: int) -> Iterator[list[AuditEvent]]:
    after = 0
    while True:
        with tenant_scope(organization_id):
            chunk = list(
                AuditEvent.objects.for_org(organization_id)
                .filter(seq__gt=after)
                .order_by("seq")[:chunk_size]
            )
        if not chunk:
            return
        yield chunk
        after = chunk[-1].seq


def audit_chain_verify(*, organization: Organization, chunk_size: int = CHUNK) -> ChainReport:
    """Walk ``organization``'s chain in seq order; report the first broken event, if any."""
    slug = organization.slug
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for chunk in _chunks(organization.pk, chunk_size):
        for event in chunk:
            checked += 1
            problem = None
            if event.seq != expected_seq:
                problem = (GAP, f"expected seq {expected_seq}, found {event.seq}")
            elif event.prev_hash != prev_hash:
                problem = (BROKEN_LINK, "its prev_hash is not the hash of the event before it")
            elif hash_of(event) != event.hash:
                problem = (HASH_MISMATCH, "its content does not match its hash")
            if problem is not None:
                return ChainReport(
                    slug, checked, ChainBreak(slug, event.seq, event.pk, problem[0], problem[1])
                )
            expected_seq, prev_hash = event.seq + 1, event.hash
    return ChainReport(slug, checked)


def audit_chains_verify(*, slug: str | None = None) -> Iterator[ChainReport]:
    """``audit_chain_verify`` for every organization (or the one with ``slug``), by slug."""
    organizations = Organization.objects.order_by("slug")
    if slug is not None:
        organizations = organizations.filter(slug=slug)
    for organization in list(organizations):
        yield audit_chain_verify(organization=organization)
