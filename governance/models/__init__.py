from governance.models.audit import AuditEvent
from governance.models.decisions import DecisionKind, DecisionRecord, Venue
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
    "DecisionForum",
    "DecisionKind",
    "DecisionRecord",
    "DeliveryState",
    "ForumMember",
    "Function",
    "HierarchyNode",
    "LegalEntity",
    "MemberKind",
    "Membership",
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
    "Role",
    "TenantManager",
    "TenantModel",
    "TenantQuerySet",
    "TokenScope",
    "UnscopedQuery",
    "Venue",
    "WebhookDelivery",
    "WebhookEndpoint",
]
