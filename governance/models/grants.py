"""Guardian permission tables of the organization and the governance levels of the hierarchy.

Measure packages and measures have theirs in ``measures.models``; see ``governance.permissions``.
"""

from governance.permissions import node_permission_tables

OrganizationUserPermission, OrganizationGroupPermission = node_permission_tables(
    "governance.Organization", "Organization", __name__
)
PortfolioUserPermission, PortfolioGroupPermission = node_permission_tables(
    "governance.Portfolio", "Portfolio", __name__
)
ProgramUserPermission, ProgramGroupPermission = node_permission_tables(
    "governance.Program", "Program", __name__
)
ProjectUserPermission, ProjectGroupPermission = node_permission_tables(
    "governance.Project", "Project", __name__
)
