"""Row-level security: PostgreSQL's own tenant wall under the application's scoping.

The application scopes every tenant query to an organization (``TenantQuerySet``). This module
adds a second wall that does not depend on the application getting that right: on PostgreSQL
every tenant table has row-level security enabled with a policy that only admits rows of the
organization named by the per-transaction setting ``throughline.organization_id``.

- ``tenant_scope(organization_id, user_id)`` opens a transaction and sets, for that transaction
  only, the organization and user, and switches to ``settings.DATABASE_ROLE`` (SET LOCAL ROLE).
  Every request (``governance.middleware``), every tenant task (``governance.tasks``) and every
  command that writes tenant rows runs inside one. With no organization set, the policies admit
  nothing: the wall fails closed.
- ``sync_row_level_security`` runs after every ``migrate`` (and ``flush``) and brings the database
  in line: helper functions, RLS and policies on every table of a concrete ``TenantModel`` (in any
  app, including ones added later), the application role and its grants.

Table owners and superusers bypass the policies (no FORCE: the owner runs migrations), so the
application must reach the database as a role that is neither: ``DATABASE_ROLE``, or a login
role that is not the owner. On SQLite, the embedded mode, there is no RLS: ``tenant_scope`` is a
plain transaction and the rest does nothing.

This is the only module that knows the SQL behind the wall.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from psycopg2 import sql

ORGANIZATION_SETTING = "throughline.organization_id"
USER_SETTING = "throughline.user_id"
ROLE_SETTING = "role"  # set_config('role', …, true) is SET LOCAL ROLE

CURRENT_ORG_FUNCTION = "throughline_current_org"
CURRENT_USER_FUNCTION = "throughline_current_user"
TOKEN_ORG_FUNCTION = "throughline_token_organization"  # noqa: S105 - a function name

TENANT_POLICY = "tenant_isolation"
OWN_MEMBERSHIPS_POLICY = "own_memberships"
# Marks the policies and functions this module created, with their definition, so a sync can
# tell one that is current from one left by an older definition.
STAMP_PREFIX = "throughline: "


def _is_postgres(using: str) -> bool:
    return connections[using].vendor == "postgresql"


def enforced_by_database(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database itself keeps tenants apart (PostgreSQL with row-level security)."""
    return _is_postgres(using)


# --- the per-transaction scope ------------------------------------------------------------------


def _setting_value(value: int | None) -> str:
    # Empty means unset: the helper functions turn it into NULL, which no row matches.
    return "" if value is None else str(int(value))


def _assignments(role: str) -> str:
    parts = [
        f"set_config('{ORGANIZATION_SETTING}', %s, true)",
        f"set_config('{USER_SETTING}', %s, true)",
    ]
    if role:
        parts.append(f"set_config('{ROLE_SETTING}', %s, true)")
    return ", ".join(parts)


def _previous(role: str) -> str:
    parts = [
        f"coalesce(current_setting('{ORGANIZATION_SETTING}', true), '') AS organization_id",
        f"coalesce(current_setting('{USER_SETTING}', true), '') AS user_id",
    ]
    if role:
        parts.append(f"current_setting('{ROLE_SETTING}') AS role")
    return ", ".join(parts)


@contextlib.contextmanager
def tenant_scope(
    organization_id: int | None, user_id: int | None = None, *, using: str = DEFAULT_DB_ALIAS
) -> Iterator[None]:
    """A transaction whose queries see only ``organization_id``'s rows (PostgreSQL: enforced).

    ``user_id`` names the acting user; it only widens what the database shows by that user's own
    memberships in other organizations (for the organization switcher). Nested in an outer
    transaction, the scope restores the outer values on exit, so the outer code is unaffected;
    as the outermost transaction, its commit ends them.
    """
    connection = connections[using]
    if not _is_postgres(using):
        with transaction.atomic(using=using):
            yield
        return
    nested = connection.in_atomic_block or not connection.get_autocommit()
    role = settings.DATABASE_ROLE
    values = [_setting_value(organization_id), _setting_value(user_id)]
    if role:
        values.append(role)
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if nested:
                # One statement reads the outer values and sets ours; the materialized CTE is
                # evaluated before the assignments.
                cursor.execute(
                    f"WITH previous AS MATERIALIZED (SELECT {_previous(role)}) "  # noqa: S608
                    f"SELECT previous.*, {_assignments(role)} FROM previous",
                    values,
                )
                previous = list(cursor.fetchone()[: len(values)])
            else:
                cursor.execute(f"SELECT {_assignments(role)}", values)
        yield
        # After an error the savepoint is rolled back, and with it these settings.
        if nested and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {_assignments(role)}", previous)


def identify(user_id: int | None, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Name the acting user of the current scope once it is known.

    API tokens authenticate inside the view, after the request's scope was opened without a
    user. Outside a transaction there is no scope to amend, and this does nothing.
    """
    connection = connections[using]
    if not _is_postgres(using) or not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT set_config('{USER_SETTING}', %s, true)", [_setting_value(user_id)])


def token_organization(prefix: str, *, using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The organization of the API token with ``prefix``, before any organization is in scope."""
    if _is_postgres(using):
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT {TOKEN_ORG_FUNCTION}(%s)", [prefix])
            row = cursor.fetchone()
        return None if row is None else row[0]
    from governance.models import ApiToken

    # No RLS here: the unscoped read is the whole lookup.
    return (
        ApiToken.objects.unscoped()
        .filter(prefix=prefix)
        .values_list("organization_id", flat=True)
        .first()
    )


# --- bringing the database in line --------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    name: str
    command: str  # ALL or SELECT
    using: str
    check: str | None = None

    def definition(self) -> str:
        text = f"FOR {self.command} USING ({self.using})"
        return f"{text} WITH CHECK ({self.check})" if self.check else text


def tenant_tables() -> dict[str, str]:
    """``{table: organization column}`` of every concrete ``TenantModel`` of every app."""
    from governance.models import TenantModel

    tables: dict[str, str] = {}
    for model in apps.get_models():
        meta = model._meta
        if issubclass(model, TenantModel) and meta.managed and not meta.proxy:
            field = meta.get_field("organization")
            assert isinstance(field, models.ForeignKey)
            tables[meta.db_table] = field.column
    return dict(sorted(tables.items()))


def table_policies(
    schema: str, tables: dict[str, str], quote: Callable[[str], str]
) -> dict[str, list[Policy]]:
    """The policies each tenant table must have, and no others (``schema`` already quoted)."""
    from governance.models import Membership

    def call(function: str) -> str:
        return f"{schema}.{function}()"

    policies: dict[str, list[Policy]] = {}
    for table, column in tables.items():
        same_org = f"{quote(column)} = {call(CURRENT_ORG_FUNCTION)}"
        policies[table] = [Policy(TENANT_POLICY, "ALL", same_org, same_org)]
    membership = Membership._meta.db_table
    if membership in policies:
        own = f"{quote(Membership._meta.get_field('user').column)} = {call(CURRENT_USER_FUNCTION)}"
        # A user sees their own memberships in every organization: the organization switcher
        # lists them before any one organization is chosen. Reading only.
        policies[membership].append(Policy(OWN_MEMBERSHIPS_POLICY, "SELECT", own))
    return policies


def _functions(schema: str, token_table: str | None) -> dict[str, tuple[str, str]]:
    """``{name: (signature, definition)}`` of the SQL functions the policies and tokens use."""
    # Plain SQL without SET options, so the planner inlines them into each policy and uses the
    # tenant indexes; pg_catalog is named because an inlined body takes the caller's search_path.
    setting = "NULLIF(pg_catalog.current_setting('{}', true), '')::bigint"
    functions = {
        CURRENT_ORG_FUNCTION: (
            f"{schema}.{CURRENT_ORG_FUNCTION}() RETURNS bigint",
            "LANGUAGE sql STABLE PARALLEL SAFE AS "
            f"$$SELECT {setting.format(ORGANIZATION_SETTING)}$$",
        ),
        CURRENT_USER_FUNCTION: (
            f"{schema}.{CURRENT_USER_FUNCTION}() RETURNS bigint",
            f"LANGUAGE sql STABLE PARALLEL SAFE AS $$SELECT {setting.format(USER_SETTING)}$$",
        ),
    }
    if token_table is not None:
        # Token authentication must learn a token's organization before any is in scope. This
        # runs as its owner (the migrating role, not subject to the policies) and answers only
        # that question; its search_path is pinned so a caller cannot redirect it.
        functions[TOKEN_ORG_FUNCTION] = (
            f"{schema}.{TOKEN_ORG_FUNCTION}(token_prefix text) RETURNS bigint",
            "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS "  # noqa: S608 - quoted names
            f"$$SELECT organization_id FROM {schema}.{token_table} WHERE prefix = $1$$",
        )
    return functions


def sync_row_level_security(using: str = DEFAULT_DB_ALIAS) -> None:
    """Bring RLS, its helper functions and the application role in line; PostgreSQL only.

    Idempotent and cheap when nothing changed (a few catalogue reads), since it also runs after
    every ``flush``.
    """
    if not _is_postgres(using):
        return
    from governance.models import ApiToken

    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        raw = connection.connection

        def quote(name: str) -> str:
            return sql.Identifier(name).as_string(raw)

        cursor.execute("SELECT current_schema()")
        schema_name = cursor.fetchone()[0]
        schema = quote(schema_name)
        existing = set(connection.introspection.table_names(cursor))
        tables = {table: column for table, column in tenant_tables().items() if table in existing}
        token_table = ApiToken._meta.db_table
        functions = _functions(schema, quote(token_table) if token_table in existing else None)
        statements = _function_statements(cursor, schema_name, functions, raw)
        statements += _policy_statements(
            cursor, schema_name, table_policies(schema, tables, quote), quote, raw
        )
        if settings.DATABASE_ROLE:
            statements += _role_statements(cursor, schema_name, settings.DATABASE_ROLE, quote)
        if statements:
            cursor.execute(";\n".join(statements))


def _function_statements(
    cursor: Any, schema_name: str, functions: dict[str, tuple[str, str]], raw: Any
) -> list[str]:
    cursor.execute(
        "SELECT p.proname, obj_description(p.oid, 'pg_proc') FROM pg_proc p "
        "WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) "
        "AND p.proname = ANY(%s)",
        [schema_name, list(functions)],
    )
    current = dict(cursor.fetchall())
    statements: list[str] = []
    for name, (signature, definition) in functions.items():
        stamp = STAMP_PREFIX + definition
        if current.get(name) != stamp:
            statements += [
                f"CREATE OR REPLACE FUNCTION {signature} {definition}",
                f"COMMENT ON FUNCTION {signature.split(' RETURNS ')[0]} IS "
                + sql.Literal(stamp).as_string(raw),
            ]
    return statements


def _policy_statements(
    cursor: Any,
    schema_name: str,
    policies: dict[str, list[Policy]],
    quote: Callable[[str], str],
    raw: Any,
) -> list[str]:
    cursor.execute(
        "SELECT c.relname, c.relrowsecurity, p.polname, obj_description(p.oid, 'pg_policy') "
        "FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid "
        "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) "
        "AND c.relname = ANY(%s)",
        [schema_name, list(policies)],
    )
    enabled: dict[str, bool] = {}
    present: dict[str, dict[str, str | None]] = {table: {} for table in policies}
    for table, rls_on, policy, comment in cursor.fetchall():
        enabled[table] = rls_on
        if policy is not None:
            present[table][policy] = comment
    statements: list[str] = []
    for table, wanted in policies.items():
        on = f"ON {quote(table)}"
        if not enabled.get(table):
            statements.append(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
        names = {policy.name for policy in wanted}
        for name in present[table]:
            if name not in names:
                # The sync owns the policies of tenant tables: a stray permissive policy would
                # widen what every other one admits.
                statements.append(f"DROP POLICY {quote(name)} {on}")
        for policy in wanted:
            stamp = STAMP_PREFIX + policy.definition()
            if present[table].get(policy.name) == stamp:
                continue
            if policy.name in present[table]:
                statements.append(f"DROP POLICY {quote(policy.name)} {on}")
            statements += [
                f"CREATE POLICY {quote(policy.name)} {on} {policy.definition()}",
                f"COMMENT ON POLICY {quote(policy.name)} {on} IS "
                + sql.Literal(stamp).as_string(raw),
            ]
    return statements


def _role_statements(
    cursor: Any, schema_name: str, role: str, quote: Callable[[str], str]
) -> list[str]:
    quoted = quote(role)
    cursor.execute(
        "SELECT me.rolsuper OR me.rolcreaterole, app.oid IS NOT NULL, "
        "coalesce(app.rolsuper OR app.rolbypassrls, false) "
        "FROM pg_roles me LEFT JOIN pg_roles app ON app.rolname = %s "
        "WHERE me.rolname = current_user",
        [role],
    )
    may_create, exists, bypasses = cursor.fetchone()
    if not exists:
        if not may_create:
            raise ImproperlyConfigured(
                f"DATABASE_ROLE {role!r} does not exist and this database user may not create "
                f"roles: create it first (CREATE ROLE {role} NOLOGIN)."
            )
        # A parallel migration of another database in the cluster may create it first.
        cursor.execute(
            "DO $create$ BEGIN "
            f"CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "
            "END $create$"
        )
    elif bypasses:
        raise ImproperlyConfigured(
            f"DATABASE_ROLE {role!r} is a superuser or has BYPASSRLS: row-level security would "
            "not apply to it. Use a role without either."
        )
    cursor.execute(
        "SELECT c.relname FROM pg_class c "
        "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s) "
        "AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %s) LIMIT 1",
        [schema_name, role],
    )
    owned = cursor.fetchone()
    if owned is not None:
        raise ImproperlyConfigured(
            f"DATABASE_ROLE {role!r} owns {owned[0]}: an owner is not subject to row-level "
            "security. Let the migrating role own the tables."
        )
    # Tables created later get no privileges by default: a new table stays closed to the
    # application until this sync (after its migration) has put row-level security on it.
    cursor.execute(
        "SELECT NOT has_schema_privilege(%(role)s, %(schema)s, 'USAGE') OR EXISTS ("
        " SELECT 1 FROM pg_class c"
        " WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s) AND ("
        "  (c.relkind IN ('r', 'p') AND NOT ("
        "   has_table_privilege(%(role)s, c.oid, 'SELECT')"
        "   AND has_table_privilege(%(role)s, c.oid, 'INSERT')"
        "   AND has_table_privilege(%(role)s, c.oid, 'UPDATE')"
        "   AND has_table_privilege(%(role)s, c.oid, 'DELETE')))"
        "  OR (c.relkind = 'S' AND NOT ("
        "   has_sequence_privilege(%(role)s, c.oid, 'USAGE')"
        "   AND has_sequence_privilege(%(role)s, c.oid, 'SELECT')))))",
        {"role": role, "schema": schema_name},
    )
    if not cursor.fetchone()[0]:
        return []
    schema = quote(schema_name)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
    ]
