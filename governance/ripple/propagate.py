"""The ripple of one root's slip: pure functions over plain data, so they are checked by hand
and against brute force without a database.

An edge says the successor starts after the predecessor finishes, plus ``lag`` days. A slip of
``d`` days at the predecessor pushes the successor by ``d`` minus the slack the plan left
between them (``successor start - (predecessor end + 1 day + lag)``, never below zero); a
successor with several slipping predecessors takes the largest push. Dates missing on either
side leave no known slack: the slip passes through whole. Only the root's own slip is
propagated: a measure that was already late against its predecessors in the plan is not blamed
on the root.

Value at risk: a measure slipping ``d`` days delivers its benefit ``ceil(d / 30)`` months later.
Per period, the value at risk is what the period loses (``series[p] - series[p - k]``, negative
where value arrives late); within a fiscal year it is the sum over the year's months, which is
the benefit pushed out of that year.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

MONTH_DAYS = 30


@dataclass(frozen=True)
class Edge:
    predecessor: int
    successor: int
    lag: int = 0


@dataclass(frozen=True)
class Dates:
    start: dt.date | None
    end: dt.date | None


def successors_of(edges: Iterable[Edge]) -> dict[int, list[Edge]]:
    found: dict[int, list[Edge]] = defaultdict(list)
    for edge in edges:
        found[edge.predecessor].append(edge)
    return found


def _push(edge: Edge, slip: int, dates: Mapping[int, Dates]) -> int:
    before, after = dates.get(edge.predecessor), dates.get(edge.successor)
    if before is None or after is None or before.end is None or after.start is None:
        return slip
    # The successor may start the day after the predecessor ends, plus the lag.
    slack = (after.start - (before.end + dt.timedelta(days=1 + edge.lag))).days
    return max(0, slip - max(0, slack))


@dataclass(frozen=True)
class Reached:
    slip: int
    via: int | None  # the predecessor whose push is the largest (None: the root)
    depth: int


def ripple(
    root: int, slip: int, successors: Mapping[int, list[Edge]], dates: Mapping[int, Dates]
) -> dict[int, Reached]:
    """The root and every measure its slip pushes (> 0 days), each with its slip, the
    predecessor it arrives from and its distance from the root.

    The graph is acyclic (cycles are refused when edges are declared), so a measure's slip is
    final once every predecessor reached from the root is settled: a Kahn order over the part
    of the graph reachable from the root."""
    if slip <= 0:
        return {}
    reach: set[int] = {root}
    stack = [root]
    while stack:
        for edge in successors.get(stack.pop(), ()):
            if edge.successor not in reach:
                reach.add(edge.successor)
                stack.append(edge.successor)
    waiting: dict[int, int] = defaultdict(int)
    for node in reach:
        for edge in successors.get(node, ()):
            waiting[edge.successor] += 1
    reached: dict[int, Reached] = {root: Reached(slip, None, 0)}
    ready = [root]
    while ready:
        node = ready.pop()
        here = reached.get(node)
        for edge in sorted(successors.get(node, ()), key=lambda edge: edge.successor):
            if here is not None and here.slip > 0:
                push = _push(edge, here.slip, dates)
                there = reached.get(edge.successor)
                # Ties go to the smaller predecessor id: the result never depends on order.
                if push > 0 and (
                    there is None
                    or push > there.slip
                    or (push == there.slip and there.via is not None and node < there.via)
                ):
                    reached[edge.successor] = Reached(push, node, here.depth + 1)
            waiting[edge.successor] -= 1
            if waiting[edge.successor] == 0:
                ready.append(edge.successor)
    return reached


def months_late(slip_days: int) -> int:
    return math.ceil(slip_days / MONTH_DAYS) if slip_days > 0 else 0


def _index(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def _month(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def value_at_risk(series: Mapping[dt.date, Decimal], slip_days: int) -> dict[dt.date, Decimal]:
    """Per month, what the slip takes away (``series[p] - series[p - k]``), non-zero only."""
    amounts = {_index(month): amount for month, amount in series.items()}
    return {_month(index): lost for index, lost in loss(amounts, months_late(slip_days)).items()}


def loss(amounts: Mapping[int, Decimal], shift: int) -> dict[int, Decimal]:
    """``value_at_risk`` on month indexes (``year * 12 + month - 1``) and a shift in whole
    months, for callers that index a series once and shift it many times."""
    if shift == 0 or not amounts:
        return {}
    zero = Decimal(0)
    risk: dict[int, Decimal] = {}
    for index in sorted(set(amounts) | {index + shift for index in amounts}):
        lost = amounts.get(index, zero) - amounts.get(index - shift, zero)
        if lost:
            risk[index] = lost
    return risk


def month_index(month: dt.date) -> int:
    return _index(month)


def within(risk: Mapping[dt.date, Decimal], first: dt.date, last: dt.date) -> Decimal:
    """The value at risk of the months from ``first`` to ``last`` (a fiscal year)."""
    return loss_within(
        {_index(month): amount for month, amount in risk.items()}, _index(first), _index(last)
    )


def loss_within(lost: Mapping[int, Decimal], first: int, last: int) -> Decimal:
    """``within`` on month indexes."""
    return sum((amount for index, amount in lost.items() if first <= index <= last), Decimal(0))
