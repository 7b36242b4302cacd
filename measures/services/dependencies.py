"""Dependencies between measures: declaring and removing them, cycles refused, the downstream walk.

An edge says the successor starts after the predecessor finishes (finish-to-start, plus a lag in
days). Declaring one needs ``change`` on the successor and ``view`` on the predecessor; a measure
the caller cannot see is "no such measure", never revealed. Measures of the same organization
only; projects and functions may differ. An edge that would close a cycle is refused with the
cycle named, found with one recursive query (standard SQL, so PostgreSQL and SQLite both run it).
Gate: before Detailed, dependencies are declared — at least one edge, or "no dependencies" stated.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q

from governance.access import can, require, restrict
from governance.audit import audit_record
from governance.errors import AccessDenied, ValidationError
from governance.models import Organization
from governance.ripple.outbox import ripple_mark
from governance.services.hierarchy import check_version
from measures import gates
from measures.models import DependencyType, DoI, Measure, MeasureDependency
from measures.models.risks import LAG_LIMIT
from measures.tabs import tab

tab("dependencies", "Dependencies", "measure-dependencies")

NO_SUCH_MEASURE = "No such measure."
# The advisory lock that serializes edge inserts of one organization (PostgreSQL), so two
# concurrent edges cannot each pass the cycle check and close a cycle together.
LOCK_CLASS = 0x7464_6570  # "tdep"


def _table() -> str:
    return connection.ops.quote_name(MeasureDependency._meta.db_table)


def _reachable_edges(organization_id: int, start: int) -> list[tuple[int, int]]:
    """Every edge (predecessor, successor) downstream of ``start``: one recursive query.

    ``UNION`` (not ``UNION ALL``) keeps each measure once, so the walk ends on any graph."""
    table = _table()
    sql = (
        f"WITH RECURSIVE reach(id) AS ("  # noqa: S608 (table name only)
        f" SELECT CAST(%s AS BIGINT)"
        f" UNION"
        f" SELECT d.successor_id FROM {table} d JOIN reach r ON d.predecessor_id = r.id"
        f" WHERE d.organization_id = %s"
        f") SELECT d.predecessor_id, d.successor_id FROM {table} d"
        f" WHERE d.organization_id = %s AND d.predecessor_id IN (SELECT id FROM reach)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, organization_id, organization_id])
        return [(int(a), int(b)) for a, b in cursor.fetchall()]


def path_between(organization_id: int, start: int, goal: int) -> list[int] | None:
    """The shortest chain of measure ids from ``start`` down to ``goal``, or ``None``."""
    successors: dict[int, list[int]] = {}
    for predecessor, successor in _reachable_edges(organization_id, start):
        successors.setdefault(predecessor, []).append(successor)
    came_from: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == goal:
            chain = [current]
            while (step := came_from[chain[-1]]) is not None:
                chain.append(step)
            return chain[::-1]
        for following in sorted(successors.get(current, ())):
            if following not in came_from:
                came_from[following] = current
                queue.append(following)
    return None


def _walk(measure_ids: Iterable[int], organization: Organization | int, *, down: bool) -> set[int]:
    ids = sorted({int(pk) for pk in measure_ids})
    if not ids:
        return set()
    org_id = organization if isinstance(organization, int) else organization.pk
    table = _table()
    start, step = ("predecessor_id", "successor_id") if down else ("successor_id", "predecessor_id")
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"WITH RECURSIVE walk(id) AS ("  # noqa: S608 (names and placeholders only)
        f" SELECT d.{step} FROM {table} d"
        f" WHERE d.organization_id = %s AND d.{start} IN ({marks})"
        f" UNION"
        f" SELECT d.{step} FROM {table} d JOIN walk ON d.{start} = walk.id"
        f" WHERE d.organization_id = %s"
        f") SELECT id FROM walk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [org_id, *ids, org_id])
        return {int(row[0]) for row in cursor.fetchall()}


def downstream(measure_ids: Iterable[int], *, organization: Organization | int) -> set[int]:
    """Every measure that depends, directly or transitively, on any of ``measure_ids`` (the
    ripple of a change): one recursive query. The starting measures are included only when
    a path leads back to them (never, as cycles are refused)."""
    return _walk(measure_ids, organization, down=True)


def upstream(measure_ids: Iterable[int], *, organization: Organization | int) -> set[int]:
    """Every measure that ``measure_ids`` depend on, directly or transitively: whose ripple
    may pass through them. One recursive query."""
    return _walk(measure_ids, organization, down=False)


def _lock_graph(organization_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, organization_id])


def _lag(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise ValueError("Give the lag as a whole number of days.")
    try:
        days = int(str(value).strip())
    except ValueError:
        raise ValueError("Give the lag as a whole number of days.") from None
    if isinstance(value, float) and value != days:
        raise ValueError("Give the lag as a whole number of days.")
    if not -LAG_LIMIT <= days <= LAG_LIMIT:
        raise ValueError(f"Keep the lag between -{LAG_LIMIT} and {LAG_LIMIT} days.")
    return days


def _measure_id(value: Any) -> int | None:
    if isinstance(value, Measure):
        return value.pk
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        pk = int(str(value).strip())
    except ValueError:
        return None
    return pk if 0 < pk < 2**63 else None


def _codes(organization: Organization | int, ids: list[int], by: Any) -> list[str]:
    """Codes of the measures in order; one the caller may not see stays unnamed."""
    visible = dict(
        restrict(Measure.objects.all(), by, "view", organization=organization)
        .filter(pk__in=ids)
        .values_list("pk", "code")
    )
    return [visible.get(pk, "(a measure you cannot see)") for pk in ids]


def dependency_create(
    *,
    organization: Organization,
    predecessor: Any,
    successor: Any,
    by: Any,
    lag_days: Any = 0,
    note: Any = "",
    type: Any = DependencyType.FINISH_TO_START,
) -> MeasureDependency:
    """Declare that ``successor`` depends on ``predecessor`` (measures or ids)."""
    errors: dict[str, list[str]] = {}
    visible = restrict(Measure.objects.all(), by, "view", organization=organization)
    ends: dict[str, Measure | None] = {}
    with transaction.atomic():
        _lock_graph(organization.pk)
        for name, value in (("predecessor", predecessor), ("successor", successor)):
            pk = _measure_id(value)
            ends[name] = visible.filter(pk=pk).first() if pk is not None else None
            if ends[name] is None:
                errors[name] = [NO_SUCH_MEASURE]
        try:
            lag = _lag(lag_days)
        except ValueError as exc:
            errors["lag_days"] = [str(exc)]
        if type not in DependencyType.values:
            errors["type"] = [f"Choose one of: {', '.join(DependencyType.labels)}."]
        if note is not None and not isinstance(note, str):
            errors["note"] = ["Give the note as text."]
        elif note and len(note) > 2000:
            errors["note"] = ["Keep the note to 2,000 characters."]
        before, after = ends.get("predecessor"), ends.get("successor")
        if after is not None and "successor" not in errors and not can(by, "change", after):
            raise AccessDenied("Your role may not change the successor measure.")
        if before is not None and after is not None and before.pk == after.pk:
            errors["predecessor"] = ["A measure cannot depend on itself."]
        if errors:
            raise ValidationError(errors)
        assert before is not None and after is not None
        if (
            MeasureDependency.objects.for_org(organization)
            .filter(predecessor_id=before.pk, successor_id=after.pk)
            .exists()
        ):
            raise ValidationError(
                {"predecessor": [f"{after.code} already depends on {before.code}."]}
            )
        chain = path_between(organization.pk, after.pk, before.pk)
        if chain is not None:
            names = _codes(organization, [before.pk, *chain], by)
            raise ValidationError(
                {"predecessor": [f"This would close a cycle: {' → '.join(names)}."]}
            )
        edge = MeasureDependency.objects.create(
            organization=organization,
            predecessor=before,
            successor=after,
            type=type,
            lag_days=lag,
            note=(note or "").strip(),
        )
        # Declaring an edge withdraws any "no dependencies" statement of either end, and it
        # changes the successor's plan (its start waits): its version moves.
        Measure.objects.for_org(organization).filter(pk__in=[before.pk, after.pk]).update(
            no_dependencies=False
        )
        Measure.objects.for_org(organization).filter(pk=after.pk).update(version=F("version") + 1)
        audit_record(
            actor=by,
            action="dependency.created",
            obj=edge,
            changes={
                "predecessor": before.code,
                "successor": after.code,
                "type": type,
                "lag_days": lag,
                "withdrawn_no_dependencies": [m.code for m in (before, after) if m.no_dependencies],
            },
        )
        ripple_mark(
            organization=edge.organization_id, measure_ids=[edge.predecessor_id, edge.successor_id]
        )
    return edge


def dependency_delete(
    *, dependency: MeasureDependency, by: Any, expected_version: int | None = None
) -> None:
    """Remove a dependency (needs ``change`` on its successor); ``expected_version`` is the
    successor's (``StaleVersion`` when it moved on)."""
    with transaction.atomic():
        edge = (
            MeasureDependency.objects.for_org(dependency.organization_id)
            .select_related("predecessor", "successor")
            .get(pk=dependency.pk)
        )
        successor = (
            Measure.objects.for_org(edge.organization_id)
            .select_for_update()
            .get(pk=edge.successor_id)
        )
        require(by, "change", successor)
        check_version(successor, expected_version)
        audit_record(
            actor=by,
            action="dependency.deleted",
            obj=edge,
            changes={"predecessor": edge.predecessor.code, "successor": edge.successor.code},
        )
        ripple_mark(
            organization=edge.organization_id, measure_ids=[edge.predecessor_id, edge.successor_id]
        )
        edge.delete()
        Measure.objects.for_org(edge.organization_id).filter(pk=edge.successor_id).update(
            version=F("version") + 1
        )


def no_dependencies_set(
    *, measure: Measure, value: bool, by: Any, expected_version: int | None = None
) -> Measure:
    """The statement that the measure depends on no other measure and none on it (or its
    withdrawal); refused while dependencies exist."""
    with transaction.atomic():
        measure = (
            Measure.objects.for_org(measure.organization_id).select_for_update().get(pk=measure.pk)
        )
        require(by, "change", measure)
        check_version(measure, expected_version)
        value = bool(value)
        if value == measure.no_dependencies:
            return measure
        if value and linked(measure):
            raise ValidationError(
                {
                    "no_dependencies": [
                        "The measure has dependencies: remove them before stating it has none."
                    ]
                }
            )
        Measure.objects.for_org(measure.organization_id).filter(pk=measure.pk).update(
            no_dependencies=value, version=F("version") + 1
        )
        measure.no_dependencies = value
        measure.version += 1
        audit_record(
            actor=by,
            action="measure.no_dependencies_changed",
            obj=measure,
            changes={"no_dependencies": [not value, value]},
        )
    return measure


def linked(measure: Measure) -> bool:
    """Whether any dependency touches the measure, in either direction."""
    return (
        MeasureDependency.objects.for_org(measure.organization_id)
        .filter(Q(predecessor_id=measure.pk) | Q(successor_id=measure.pk))
        .exists()
    )


@gates.criterion(DoI.DETAILED, key="dependencies_declared", label="Dependencies declared")
def dependencies_declared(measure: Measure) -> str | None:
    # The query runs either way, so a gate panel costs the same whatever the statements say.
    if linked(measure) or measure.no_dependencies:
        return None
    return (
        "Declare the dependencies: link at least one related measure, or state that there are none."
    )
