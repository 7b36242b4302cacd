"""The ripple of a slip and the value it puts at risk, on hand-checked graphs and against
brute force over every path (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.ripple.propagate import (
    Dates,
    Edge,
    ripple,
    successors_of,
    value_at_risk,
    within,
)

D = dt.date


def slips(root, slip, edges, dates=None):
    return {pk: r.slip for pk, r in ripple(root, slip, successors_of(edges), dates or {}).items()}


def test_a_chain_passes_the_whole_slip_on_without_dates():
    assert slips(1, 10, [Edge(1, 2), Edge(2, 3)]) == {1: 10, 2: 10, 3: 10}


def test_slack_absorbs_part_of_the_slip_and_lag_eats_slack():
    dates = {
        1: Dates(D(2026, 1, 1), D(2026, 3, 31)),
        # may start on April 1st, starts on the 5th: 4 days of slack
        2: Dates(D(2026, 4, 5), D(2026, 6, 30)),
        # may start on July 5th (4 days of lag), starts on the 10th: 5 days of slack
        3: Dates(D(2026, 7, 10), D(2026, 9, 30)),
    }
    edges = [Edge(1, 2), Edge(2, 3, lag=4)]
    assert slips(1, 20, edges, dates) == {1: 20, 2: 16, 3: 11}
    # A slip the slack absorbs goes no further.
    assert slips(1, 4, edges, dates) == {1: 4}
    assert slips(1, 6, edges, dates) == {1: 6, 2: 2}


def test_a_diamond_takes_the_larger_push_and_records_where_it_came_from():
    dates = {
        1: Dates(D(2026, 1, 1), D(2026, 1, 31)),
        2: Dates(D(2026, 2, 1), D(2026, 2, 28)),
        3: Dates(D(2026, 2, 11), D(2026, 2, 28)),  # may start Feb 1st: 10 days of slack
        4: Dates(D(2026, 3, 1), D(2026, 3, 31)),
    }
    edges = [Edge(1, 2), Edge(1, 3), Edge(2, 4), Edge(3, 4)]
    reached = ripple(1, 30, successors_of(edges), dates)
    assert {pk: r.slip for pk, r in reached.items()} == {1: 30, 2: 30, 3: 20, 4: 30}
    assert reached[4].via == 2 and reached[4].depth == 2
    assert reached[1].via is None and reached[1].depth == 0


def test_a_plan_already_late_is_not_blamed_on_the_root():
    dates = {
        1: Dates(D(2026, 1, 1), D(2026, 1, 31)),
        2: Dates(D(2026, 1, 20), D(2026, 2, 28)),  # planned to start before 1 ends
    }
    assert slips(1, 7, [Edge(1, 2)], dates) == {1: 7, 2: 7}


def test_no_slip_no_ripple():
    assert slips(1, 0, [Edge(1, 2)]) == {}


def test_value_at_risk_moves_the_series_by_whole_months():
    series = {
        D(2026, 10, 1): Decimal(100),
        D(2026, 11, 1): Decimal(100),
        D(2026, 12, 1): Decimal(100),
    }
    # 31 days late: two months later (ceil(31 / 30) = 2).
    risk = value_at_risk(series, 31)
    assert risk == {
        D(2026, 10, 1): Decimal(100),
        D(2026, 11, 1): Decimal(100),
        D(2027, 1, 1): Decimal(-100),
        D(2027, 2, 1): Decimal(-100),
    }
    # Within a calendar fiscal year 2026, 200 leaves the year.
    assert within(risk, D(2026, 1, 1), D(2026, 12, 1)) == Decimal(200)
    assert value_at_risk(series, 0) == {}
    assert sum(risk.values()) == 0  # nothing is lost overall, only late


# --- against brute force ----------------------------------------------------------------------


def brute_force(root, slip, edges, dates):
    """Every path from the root, the push composed along it; the largest per measure."""
    from governance.ripple.propagate import _push

    best = {root: slip}
    stack = [(root, slip)]
    while stack:
        node, pushed = stack.pop()
        for edge in edges:
            if edge.predecessor == node:
                push = _push(edge, pushed, dates)
                if push > 0:
                    best[edge.successor] = max(best.get(edge.successor, 0), push)
                    stack.append((edge.successor, push))
    return best


@st.composite
def graphs(draw):
    size = draw(st.integers(2, 8))
    pairs = draw(
        st.sets(
            st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)).filter(
                lambda p: p[0] < p[1]  # edges go from lower to higher: acyclic
            ),
            max_size=14,
        )
    )
    edges = [Edge(a, b, draw(st.integers(-5, 10))) for a, b in sorted(pairs)]
    dates = {}
    for node in range(size):
        if draw(st.booleans()):
            start = D(2026, 1, 1) + dt.timedelta(days=draw(st.integers(0, 200)))
            dates[node] = Dates(start, start + dt.timedelta(days=draw(st.integers(0, 60))))
    return edges, dates, draw(st.integers(1, 90))


@settings(max_examples=300, deadline=None)
@given(graphs())
def test_the_ripple_equals_brute_force_over_every_path(graph):
    edges, dates, slip = graph
    assert slips(0, slip, edges, dates) == brute_force(0, slip, edges, dates)


def test_the_risk_digest_is_the_hash_of_its_periods_as_json():
    """Stored fingerprints depend on it: joining the text by hand must equal ``json.dumps``."""
    import hashlib
    import json

    from governance.ripple.cases import _risk
    from governance.ripple.propagate import month_index

    amounts = {month_index(D(2026, m, 1)): Decimal(m * 100) - Decimal("0.50") for m in (1, 2, 5)}
    risk = _risk(amounts, 2, month_index(D(2026, 1, 1)), month_index(D(2026, 12, 1)))
    assert list(risk.by_period) == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-07",
    ]
    expected = hashlib.sha256(json.dumps(risk.by_period).encode()).hexdigest()[:16]
    assert risk.digest == expected
    assert risk.in_year == Decimal(0)  # all of it arrives two months late, within the year
