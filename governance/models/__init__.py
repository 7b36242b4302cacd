from governance.models.audit import AuditEvent
from governance.models.hierarchy import LEVELS, HierarchyNode, Portfolio, Program, Project
from governance.models.operating_model import (
    BusinessUnit,
    DecisionForum,
    ForumMember,
    Function,
    LegalEntity,
)
from governance.models.tenancy import Membership, Organization, Role
from governance.models.tenant import TenantManager, TenantModel, TenantQuerySet, UnscopedQuery
from governance.models.tokens import ApiToken, TokenScope

__all__ = [
    "LEVELS",
    "ApiToken",
    "AuditEvent",
    "BusinessUnit",
    "DecisionForum",
    "ForumMember",
    "Function",
    "HierarchyNode",
    "LegalEntity",
    "Membership",
    "Organization",
    "Portfolio",
    "Program",
    "Project",
    "Role",
    "TenantManager",
    "TenantModel",
    "TenantQuerySet",
    "TokenScope",
    "UnscopedQuery",
]
