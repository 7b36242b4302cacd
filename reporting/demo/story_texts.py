"""The words of Acme's story: measure sheets per function, risks, status commentary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sheet:
    reason: str  # ``{title}``: the measure's title, lower case
    outcome: str
    evidence: str
    closure: str


SHEET = {
    "PRO": Sheet(
        "Spend analysis shows prices above benchmark: {title}.",
        "Lower purchase price per unit on the same volume, from the first new contract month.",
        "Signed contract or price agreement; monthly price variance report from the ERP.",
        "Twelve months of price variance booked and validated by the controller.",
    ),
    "LOG": Sheet(
        "Freight and warehousing costs grew faster than volume: {title}.",
        "Lower logistics cost per shipped tonne at the same service level.",
        "Carrier or 3PL contract; monthly freight cost per tonne from the TMS.",
        "Cost per tonne below the baseline for six consecutive months.",
    ),
    "PRD": Sheet(
        "Plant losses are above the group benchmark: {title}.",
        "Higher OEE and lower scrap on the lines concerned.",
        "OEE and scrap reports from the MES before and after; signed go-live protocol.",
        "The new standard runs for three months with the improvement held.",
    ),
    "SAL": Sheet(
        "Margin leaks between list price and pocket price: {title}.",
        "Higher realised price and margin on the accounts concerned.",
        "Price waterfall per account from the BI; signed customer agreements.",
        "Margin uplift booked for two quarters and validated by the controller.",
    ),
    "FIN": Sheet(
        "Cash is tied up longer than the industry median: {title}.",
        "Fewer days of working capital and the financing cost they carry.",
        "DSO / DPO reports from the ERP; changed terms in the customer or supplier master.",
        "Working capital days at target for two consecutive quarter closes.",
    ),
}
CATEGORY_BY_FUNCTION = {
    "PRO": "cost_reduction",
    "LOG": "cost_reduction",
    "PRD": "cost_avoidance",
    "SAL": "revenue_growth",
    "FIN": "working_capital",
}
# (title, probability 1-5, impact 1-5, mitigation)
RISKS: tuple[tuple[str, int, int, str], ...] = (
    (
        "Supplier resists the renegotiation",
        3,
        4,
        "Second source qualified as a fallback before the negotiation round.",
    ),
    (
        "IT change waits for the ERP release train",
        3,
        3,
        "Change request booked into the spring release; manual workaround agreed.",
    ),
    (
        "Works council approval takes longer than planned",
        2,
        4,
        "Early briefing of the works council; shift plan options prepared.",
    ),
    (
        "Customers push back on the price increase",
        4,
        3,
        "Value story per key account; walk-away prices agreed with sales.",
    ),
    (
        "Volume assumptions too optimistic",
        3,
        3,
        "Benefit re-forecast monthly against actual volumes.",
    ),
)
STATUS_COMMENTARY = {
    "at_risk": "The first milestone is late; recovery plan agreed with the program lead.",
    "off_track": "The key supplier has not signed; escalated to the steering committee.",
}
