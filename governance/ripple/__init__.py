"""Management by exception: the ripple of a slip along the dependency graph, and its cases.

- ``propagate``: pure functions. Given the graph and dates, the slip of each measure downstream
  of a root (finish-to-start plus lag, absorbed by slack), and the value a slip puts at risk.
- ``causes``: the triggers, computed in bulk from the measures' data (milestone slip, status off
  track, value below threshold, cost over budget, over-allocated capacity, approval past its SLA,
  KPI missing its target).
- ``cases``: the recompute that turns causes into exception cases, incremental (from the dirty
  outbox) or full, with the same result either way.
"""
