"""What Acme Manufacturing is working on: portfolios, programs, projects, packages, measures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PackagePlan:
    title: str
    measures: tuple[str, ...]


@dataclass(frozen=True)
class ProjectPlan:
    code: str
    title: str
    function: str
    owner: str
    packages: tuple[PackagePlan, ...]


@dataclass(frozen=True)
class ProgramPlan:
    code: str
    title: str
    owner: str
    sponsor: str
    projects: tuple[ProjectPlan, ...]


@dataclass(frozen=True)
class PortfolioPlan:
    code: str
    title: str
    description: str
    owner: str
    sponsor: str
    programs: tuple[ProgramPlan, ...]


# The plan keeps the shape of the hierarchy it describes, which one-argument-per-line
# formatting would bury.
# fmt: off
SOURCING = ProgramPlan("SRC", "Strategic sourcing", "lead", "executive", (
    ProjectPlan("SRC-DM", "Direct materials", "PRO", "owner", (
        PackagePlan("Resins and polymers", (
            "Renegotiate resin contracts with top three suppliers",
            "Introduce index-linked pricing for ABS resin",
            "Qualify second source for PA6 compounds",
            "Consolidate masterbatch suppliers from seven to three",
            "Switch PE granulate at Brno to bulk silo deliveries",
            "Replace virgin PET with recycled grade in hidden parts",
            "Harmonise resin specifications across plants",
            "Negotiate consignment stock for engineering plastics",
            "Run e-auction for TPE seals and gaskets",
        )),
        PackagePlan("Metals and castings", (
            "Renegotiate hot-rolled steel coil contracts",
            "Move aluminium extrusions to LME-linked pricing",
            "Qualify low-cost-country source for grey iron castings",
            "Consolidate fastener suppliers into one C-parts partner",
            "Run design-to-cost review for die-cast housings",
            "Hedge copper exposure for motor windings",
            "Reduce scrap surcharge on stainless sheet",
            "Renegotiate forging tool amortisation",
        )),
    )),
    ProjectPlan("SRC-IND", "Indirect spend", "PRO", "owner", (
        PackagePlan("MRO and facility services", (
            "Tender facility management for German sites",
            "Consolidate MRO catalogue buying on one distributor",
            "Renegotiate industrial gas supply at Linz",
            "Bundle waste disposal contracts across plants",
            "Reduce temporary labour agency mark-ups",
            "Introduce vending machines for PPE and consumables",
            "Renegotiate compressor maintenance contracts",
            "Centralise energy procurement for all EU sites",
        )),
        PackagePlan("Packaging materials", (
            "Standardise corrugated box sizes from 140 to 60",
            "Renegotiate stretch film contracts",
            "Switch intra-company flows to reusable plastic crates",
            "Tender wooden pallets regionally",
            "Reduce packaging weight for export shipments",
            "Qualify paper-based alternative to foam inserts",
            "Introduce vendor-managed inventory for labels",
            "Consolidate printed packaging suppliers",
        )),
    )),
))
LOGISTICS = ProgramPlan("LNR", "Logistics network redesign", "lead", "executive", (
    ProjectPlan("LNR-TRN", "Transport procurement", "LOG", "owner2", (
        PackagePlan("Road freight", (
            "Consolidate freight carriers in DACH",
            "Tender full-truckload lanes to Benelux",
            "Introduce dynamic freight rate benchmarking",
            "Shift Czech-Austrian lanes to intermodal rail",
            "Reduce empty kilometres through backhaul matching",
            "Renegotiate fuel surcharge mechanism with carriers",
            "Consolidate groupage shipments to France",
            "Implement rate engine in transport management system",
        )),
        PackagePlan("Ocean and air freight", (
            "Tender ocean freight contracts for Asia imports",
            "Reduce premium air freight for spare parts",
            "Negotiate annual rates with two freight forwarders",
            "Cut demurrage and detention charges in Hamburg",
            "Shift US exports from air to sea-air",
            "Consolidate LCL shipments into full containers",
            "Review Incoterms of top 50 customers",
            "Automate customs declarations for non-EU exports",
        )),
    )),
    ProjectPlan("LNR-WHS", "Warehouse footprint", "LOG", "owner2", (
        PackagePlan("Hub consolidation", (
            "Close external warehouse in Regensburg",
            "Consolidate Benelux stock into Venlo hub",
            "Move finished goods buffer from Linz to Brno",
            "Renegotiate 3PL contract for Nordics distribution",
            "Exit overflow storage in Eindhoven",
            "Build cross-dock for Polish customers",
            "Reduce safety stock held at regional hubs",
            "Transfer slow movers to the central warehouse",
        )),
        PackagePlan("Warehouse productivity", (
            "Introduce pick-by-voice in Brno warehouse",
            "Re-slot fast movers in Linz warehouse",
            "Reduce overtime in goods receipt",
            "Automate pallet labelling at dispatch",
            "Replace annual stocktake with cycle counting",
            "Optimise shift pattern of loading docks",
            "Pool forklift fleet across halls",
            "Cut picking errors on export orders",
        )),
    )),
))
OPERATIONS = ProgramPlan("OPX", "Plant operational excellence", "k.vogel", "executive", (
    ProjectPlan("OPX-OEE", "OEE and yield", "PRD", "p.dvorak", (
        PackagePlan("Brno plant", (
            "Raise OEE of injection moulding line 3 to 78 %",
            "Cut changeover time on press line B with SMED",
            "Reduce scrap rate on assembly line 2",
            "Introduce predictive maintenance for moulding machines",
            "Reduce compressed air leakage in hall 4",
            "Automate end-of-line inspection of housings",
            "Stabilise paint shop first-pass yield",
            "Cut unplanned downtime of CNC cell 5",
        )),
        PackagePlan("Linz plant", (
            "Raise OEE of stamping line 1",
            "Reduce energy use of curing ovens",
            "Cut rework on welded frames",
            "Introduce total productive maintenance on extrusion lines",
            "Reduce tooling costs through a regrinding programme",
            "Move from four to three shifts in final assembly",
            "Reduce yield loss in sheet cutting",
            "Cut quality costs from customer complaints",
            "Deploy digital shop floor boards",
        )),
    )),
    ProjectPlan("OPX-PLN", "Planning and inventory", "PRD", "e.horvath", (
        PackagePlan("Sales and operations planning", (
            "Introduce monthly S&OP cycle for both business units",
            "Reduce finished goods inventory by 12 days",
            "Improve forecast accuracy for top 200 SKUs",
            "Rationalise the product portfolio tail",
            "Make low-runner variants to order",
            "Align production plan with freight consolidation windows",
            "Reduce raw material days on hand",
            "Set up demand sensing for packaging customers",
        )),
        PackagePlan("Spare parts and MRO stock", (
            "Reduce MRO spare parts stock at Brno",
            "Pool critical spares between Linz and Brno",
            "Write off obsolete spare parts",
            "Introduce min/max parameters for consumables",
            "Standardise bearings and motors across lines",
            "Cut spare parts lead times with framework contracts",
            "Repair instead of replace servo drives",
            "Digitise the spare parts catalogue",
        )),
    )),
))
PRICING = ProgramPlan("PRC", "Pricing excellence", "o.wagner", "m.keller", (
    ProjectPlan("PRC-PRM", "Price management", "SAL", "l.meier", (
        PackagePlan("List price realignment", (
            "Raise list prices for industrial connectors by 4 %",
            "Introduce small-order surcharge",
            "Align export price lists with DACH levels",
            "Add raw material escalation clauses to customer contracts",
            "Harmonise price lists across distributors",
            "Introduce value-based pricing for custom housings",
            "Pass through packaging cost increases",
            "Reprice low-margin SKUs in the packaging range",
        )),
        PackagePlan("Discount governance", (
            "Cap off-invoice discounts at 15 %",
            "Introduce discount approval workflow in CRM",
            "Clean up legacy rebate agreements",
            "Stop free freight for orders below threshold",
            "Tie year-end bonuses to volume growth",
            "Eliminate unauthorised payment-term discounts",
            "Introduce price waterfall reporting for key accounts",
            "Recover unbilled tooling costs",
        )),
    )),
    ProjectPlan("PRC-SRV", "Service monetisation", "SAL", "l.meier", (
        PackagePlan("Aftermarket and spare parts", (
            "Launch spare parts web shop for OEM customers",
            "Reprice aftermarket parts by availability class",
            "Introduce express delivery fee for spare parts",
            "Bundle wear parts into annual kits",
            "Run installed-base campaigns for aftermarket share",
            "Offer refurbishment of returned units",
            "Charge for expedited tooling changes",
            "Sell extended warranties on automation modules",
        )),
        PackagePlan("Service contracts", (
            "Convert ad-hoc repairs into service contracts",
            "Introduce remote monitoring subscription",
            "Charge for on-site commissioning",
            "Standardise service level tiers",
            "Renew expiring maintenance contracts at new rates",
            "Offer training for customer technicians",
            "Charge for engineering change requests",
            "Launch consignment stock service for key accounts",
        )),
    )),
))
SALES = ProgramPlan("SFE", "Sales force effectiveness", "o.wagner", "m.keller", (
    ProjectPlan("SFE-KAM", "Key account management", "SAL", "c.dubois", (
        PackagePlan("Key accounts DACH", (
            "Win second-source share at automotive tier-1 account",
            "Expand packaging volumes with top food customer",
            "Introduce joint business plans for top 20 accounts",
            "Recover lost volumes at agricultural machinery OEM",
            "Cross-sell sealing solutions to connector customers",
            "Extend frame contract with rail vehicle manufacturer",
            "Hold quarterly business reviews with key accounts",
            "Increase share of wallet at medical device customer",
        )),
        PackagePlan("Export accounts", (
            "Open second distributor channel in Poland",
            "Grow Nordic packaging business with new converter",
            "Win framework agreement with French appliance maker",
            "Relaunch UK business after distributor exit",
            "Expand Iberian sales through a local agent",
            "Enter Romania through an existing OEM customer",
            "Reactivate dormant accounts in Italy",
            "Grow US aftermarket through the online channel",
        )),
    )),
    ProjectPlan("SFE-CHN", "Channel and sales productivity", "SAL", "c.dubois", (
        PackagePlan("Distributor programme", (
            "Introduce tiered distributor incentive scheme",
            "Reduce the number of distributors in Germany",
            "Introduce distributor stock reporting",
            "Align distributor margins across countries",
            "Launch distributor training academy",
            "Terminate underperforming distributor contracts",
            "Set up joint marketing fund with top distributors",
            "Set minimum order quantities for distributors",
        )),
        PackagePlan("Sales productivity", (
            "Roll out CRM opportunity pipeline to all sales reps",
            "Reallocate sales territories in DACH",
            "Serve small accounts through inside sales",
            "Cut quote turnaround time to 48 hours",
            "Introduce configure-price-quote for standard products",
            "Move small customers to web ordering",
            "Reduce field sales travel costs",
            "Tie sales incentives to contribution margin",
        )),
    )),
))
WORKING_CAPITAL = ProgramPlan("WCM", "Working capital", "h.jansen", "s.roth", (
    ProjectPlan("WCM-REC", "Receivables", "FIN", "m.kowalska", (
        PackagePlan("Collections", (
            "Halve receivables overdue by more than 60 days",
            "Automate dunning letters in ERP",
            "Call top 100 overdue accounts every week",
            "Reduce DSO in export business by 8 days",
            "Introduce e-invoicing for key accounts",
            "Resolve pricing disputes blocking payments",
            "Introduce direct debit for small customers",
            "Factor receivables of the French subsidiary",
        )),
        PackagePlan("Credit management", (
            "Set credit limits for all distributors",
            "Insure export receivables with a credit insurer",
            "Harmonise customer payment terms to 30 days net",
            "Introduce credit scoring for new customers",
            "Reduce early-payment discounts granted",
            "Review payment terms of top 50 customers",
            "Require advance payment for custom tooling",
            "Block deliveries over credit limit automatically",
        )),
    )),
    ProjectPlan("WCM-PAY", "Payables", "FIN", "h.jansen", (
        PackagePlan("Payment terms", (
            "Harmonise supplier payment terms to 60 days",
            "Renegotiate payment terms with top 100 suppliers",
            "Stop paying invoices before the due date",
            "Move from daily to twice-weekly payment runs",
            "Centralise payments of EU entities in a payment factory",
            "Eliminate manual cheque payments",
            "Merge duplicate supplier accounts",
            "Capture missed early-payment discounts",
        )),
        PackagePlan("Supply chain finance", (
            "Launch reverse factoring with the house bank",
            "Onboard top 30 suppliers to supply chain finance",
            "Offer dynamic discounting to small suppliers",
            "Cut cash buffers in subsidiaries with cash pooling",
            "Agree consignment stock with key resin suppliers",
            "Reduce prepayments to tooling suppliers",
            "Finance inventory at export hubs",
            "Cut bank fees by closing dormant accounts",
        )),
    )),
))
# fmt: on

PORTFOLIOS = (
    PortfolioPlan(
        "SCT",
        "Supply chain transformation",
        "Cut cost to serve by 8 % and free up working capital across sourcing, plants and the "
        "logistics network, while keeping delivery performance above 95 %.",
        "executive",
        "executive",
        (SOURCING, LOGISTICS, OPERATIONS),
    ),
    PortfolioPlan(
        "CEX",
        "Commercial excellence",
        "Lift gross margin by two points through pricing discipline, service monetisation, a "
        "more productive sales force and tighter cash collection.",
        "m.keller",
        "s.roth",
        (PRICING, SALES, WORKING_CAPITAL),
    ),
)


def measure_titles() -> list[str]:
    """Every demo measure title, in hierarchy order: also the title pool of bench tenants."""
    return [
        title
        for portfolio in PORTFOLIOS
        for program in portfolio.programs
        for project in program.projects
        for package in project.packages
        for title in package.measures
    ]
