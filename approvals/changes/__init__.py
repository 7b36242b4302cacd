"""Change control of a measure's baseline: change requests, re-baselining, baseline history.

After Decided, the baselined fields of a measure — the financial baseline per month and line,
the milestones' baseline due dates, the measure's baseline start and end dates, the KPI
targets — change only through a change request, approved under the organization's
``baseline_change`` policy like any other approval request.

Design: a ``ChangeRequest`` row tied one to one to its ``ApprovalRequest`` (kind
``baseline_change``) rather than everything packed into the request's ``proposed_change``:

- the steps, decisions, segregation of duties, expiry and decision log stay the approval
  request's, unchanged; the change request holds what only change control needs — the diff
  (each changed field with the value it was made against and the new one), the rationale, the
  impact computed at submission, and the baseline version it was made against — as typed
  columns that lists and the API read without unpacking JSON of every request kind;
- the financial figures of the diff stay out of the generic approvals API and pages, which
  anyone who sees the measure reads; the change-control pages show them only to people who may
  see the measure's financials;
- the request's ``proposed_change`` carries only the keys of the changed fields, so the
  decision log names what changed without copying amounts.

Every applied change writes a ``BaselineVersion``: a snapshot of the whole baseline. Version 1 is
the baseline frozen at Decided (written by an entry hook of Decided, after the freeze hooks of
``measures``), version n+1 the baseline after each applied change, so "original vs current" is
version 1 against the live baseline (equal to the latest version).

Staleness: each diff entry keeps the value it was made against. Approving a request whose
fields no longer hold those values (another change was applied meanwhile) is refused with a
``Conflict`` naming each field that moved, and nothing is written. Requests on different fields
of the same measure do not conflict, which is why several change requests of one measure may be
pending at once (the one-pending-request rule of approvals leaves this kind out).
"""
