from governance.models.audit import AuditEvent
from governance.models.decisions import DecisionKind, DecisionRecord, Venue
from governance.models.exceptions import (
    CaseState,
    Cause,
    ExceptionCase,
    ImpactedMeasure,
    MitigationAction,
    RippleDirty,
    TradeOff,
)
from governance.models.grants import (
    OrganizationGroupPermission,
    OrganizationUserPermission,
    PortfolioGroupPermission,
    PortfolioUserPermission,
    ProgramGroupPermission,
    ProgramUserPermission,
    ProjectGroupPermission,
    ProjectUserPermission,
)
from governance.models.hierarchy import LEVELS, HierarchyNode, Portfolio, Program, Project
from governance.models.notifications import Notification
from governance.models.operating_model import (
    BusinessUnit,
    DecisionForum,
    ForumMember,
    Function,
    LegalEntity,
)
from governance.models.tenancy import (
    PERMISSIONS,
    MemberKind,
    Membership,
    Organization,
    Role,
)
from governance.models.tenant import TenantManager, TenantModel, TenantQuerySet, UnscopedQuery
from governance.models.tokens import ApiToken, TokenScope
from governance.models.webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint

__all__ = [
    "LEVELS",
    "PERMISSIONS",
    "ApiToken",
    "AuditEvent",
    "BusinessUnit",
    "CaseState",
    "Cause",
    "DecisionForum",
    "DecisionKind",
    "DecisionRecord",
    "DeliveryState",
    "ExceptionCase",
    "ForumMember",
    "Function",
    "HierarchyNode",
    "ImpactedMeasure",
    "LegalEntity",
    "MemberKind",
    "Membership",
    "MitigationAction",
    "Notification",
    "Organization",
    "OrganizationGroupPermission",
    "OrganizationUserPermission",
    "Portfolio",
    "PortfolioGroupPermission",
    "PortfolioUserPermission",
    "Program",
    "ProgramGroupPermission",
    "ProgramUserPermission",
    "Project",
    "ProjectGroupPermission",
    "ProjectUserPermission",
    "RippleDirty",
    "Role",
    "TenantManager",
    "TenantModel",
    "TenantQuerySet",
    "TokenScope",
    "TradeOff",
    "UnscopedQuery",
    "Venue",
    "WebhookDelivery",
    "WebhookEndpoint",
]
