"""Who Acme Manufacturing is: its people, operating model and decision forums.

Acme is a mid-market manufacturer of industrial components and packaging with plants in Brno and
Linz, transforming its supply chain while tightening its commercial engine. Everything here is
data; ``reporting.demo.acme`` turns it into rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from governance.models import Role

ORG_SLUG = "acme"
ORG_NAME = "Acme Manufacturing"
ORG_CURRENCY = "EUR"


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str
    title: str
    # People who only appear as owners and forum members get no password: the demo logins
    # are the ones printed by the command.
    can_log_in: bool = True
    # An API-only principal: it acts through tokens, never through the login page.
    integrator: bool = False


# One login per role, printed by the command; the order is the order of the printed table.
DEMO_USERS = (
    Person("admin", "Anna", "Schmidt", Role.ADMIN, "Head of Transformation Office"),
    Person("executive", "Thomas", "Weber", Role.EXECUTIVE, "Chief Operating Officer"),
    Person("lead", "Julia", "Hoffmann", Role.LEAD, "Program Lead Supply Chain"),
    Person("owner", "Markus", "Braun", Role.OWNER, "Category Manager Direct Materials"),
    Person("owner2", "Sofia", "Lindqvist", Role.OWNER, "Logistics Network Manager"),
    Person("controller", "Daniel", "Fischer", Role.CONTROLLER, "Transformation Controller"),
    Person("contributor", "Jan", "Novák", Role.CONTRIBUTOR, "Supply Chain Analyst"),
    Person("viewer", "Laura", "Becker", Role.VIEWER, "Business Analyst"),
)
INTEGRATOR = Person(
    "integrator",
    "ERP",
    "Integration",
    Role.LEAD,
    "Service account: ERP sync",
    can_log_in=False,
    integrator=True,
)
COLLEAGUES = (
    Person("m.keller", "Martin", "Keller", Role.EXECUTIVE, "Chief Commercial Officer", False),
    Person("s.roth", "Susanne", "Roth", Role.EXECUTIVE, "Chief Financial Officer", False),
    Person("o.wagner", "Oliver", "Wagner", Role.LEAD, "Program Lead Commercial", False),
    Person("k.vogel", "Katrin", "Vogel", Role.LEAD, "Program Lead Operations", False),
    Person("p.dvorak", "Petr", "Dvořák", Role.OWNER, "Plant Manager Brno", False),
    Person("e.horvath", "Eva", "Horváth", Role.OWNER, "Head of Production Planning", False),
    Person("c.dubois", "Claire", "Dubois", Role.OWNER, "Key Account Director", False),
    Person("l.meier", "Lukas", "Meier", Role.OWNER, "Pricing Manager", False),
    Person("h.jansen", "Henrik", "Jansen", Role.OWNER, "Head of Treasury", False),
    Person("m.kowalska", "Marta", "Kowalska", Role.OWNER, "Credit Manager", False),
)

FUNCTIONS = (
    ("SAL", "Sales"),
    ("PRO", "Procurement"),
    ("PRD", "Production"),
    ("LOG", "Logistics"),
    ("FIN", "Finance"),
)
BUSINESS_UNITS = (("IND", "Industrial Components"), ("PKG", "Packaging Solutions"))
LEGAL_ENTITIES = (
    ("DE01", "Acme Manufacturing GmbH"),
    ("AT01", "Acme Linz GmbH"),
    ("CZ01", "Acme Components s.r.o."),
    ("NL01", "Acme Logistics B.V."),
)
# Who owns the measures of a function, in turn.
MEASURE_OWNERS = {
    "PRO": ("owner",),
    "LOG": ("owner2",),
    "PRD": ("p.dvorak", "e.horvath"),
    "SAL": ("c.dubois", "l.meier"),
    "FIN": ("h.jansen", "m.kowalska"),
}


@dataclass(frozen=True)
class ForumPlan:
    name: str
    portfolio: str | None  # portfolio code; None: the whole organization
    parent: str | None
    sla_days: int
    chair: str
    members: tuple[str, ...]


FORUMS = (
    ForumPlan(
        "Executive steering committee",
        None,
        None,
        10,
        "executive",
        ("m.keller", "s.roth", "admin", "controller"),
    ),
    ForumPlan(
        "Supply chain transformation steering committee",
        "SCT",
        "Executive steering committee",
        5,
        "lead",
        ("executive", "k.vogel", "owner", "owner2", "controller"),
    ),
    ForumPlan(
        "Commercial excellence steering committee",
        "CEX",
        "Executive steering committee",
        5,
        "o.wagner",
        ("m.keller", "c.dubois", "l.meier", "h.jansen", "controller"),
    ),
)
