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
# Marks the policies this module created, so a sync can tell one that is current from one left
# by an older definition or altered since.
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


@dataclass(frozen=True)
class HelperFunction:
    """A helper function; ``state`` is how ``pg_proc`` shows it once created as defined."""

    name: str
    signature: str  # qualified name and arguments
    body: str
    security_definer: bool = False

    def create(self) -> str:
        if self.security_definer:
            # Runs as its owner, the migrating role, whom the policies do not apply to; the
            # search_path is pinned so a caller cannot redirect the names it uses.
            options = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
        else:
            # No SET option: the planner inlines the function into each policy and can use
            # the tenant indexes. The body names pg_catalog as it takes the caller's path.
            options = "PARALLEL SAFE"
        return (
            f"CREATE OR REPLACE FUNCTION {self.signature} RETURNS bigint LANGUAGE sql STABLE "
            f"{options} AS $body${self.body}$body$"
        )

    def state(self) -> tuple[Any, ...]:
        config = ["search_path=pg_catalog, pg_temp"] if self.security_definer else None
        # Volatility stable; parallel safe when inlinable, unsafe (the default) otherwise.
        return (
            self.body,
            self.security_definer,
            "s",
            "u" if self.security_definer else "s",
            config,
        )


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


def helper_functions(schema: str, token_table: str | None) -> list[HelperFunction]:
    """The SQL functions the policies and token authentication use (names already quoted)."""
    setting = "SELECT NULLIF(pg_catalog.current_setting('{}', true), '')::bigint"
    functions = [
        HelperFunction(
            CURRENT_ORG_FUNCTION,
            f"{schema}.{CURRENT_ORG_FUNCTION}()",
            setting.format(ORGANIZATION_SETTING),
        ),
        HelperFunction(
            CURRENT_USER_FUNCTION,
            f"{schema}.{CURRENT_USER_FUNCTION}()",
            setting.format(USER_SETTING),
        ),
    ]
    if token_table is not None:
        # Token authentication must learn a token's organization before any is in scope; this
        # answers only that question. Any role may call it (PostgreSQL's default for functions):
        # it tells no more than which organization a token prefix belongs to.
        functions.append(
            HelperFunction(
                TOKEN_ORG_FUNCTION,
                f"{schema}.{TOKEN_ORG_FUNCTION}(token_prefix text)",
                f"SELECT organization_id FROM {schema}.{token_table} WHERE prefix = $1",  # noqa: S608
                security_definer=True,
            )
        )
    return functions


def sync_row_level_security(using: str = DEFAULT_DB_ALIAS) -> None:
    """Bring RLS, its helper functions and the application role in line; PostgreSQL only.

    Idempotent, and only reads the catalogue when nothing changed: it also runs after every
    ``flush``, and a deploy's migrate should not queue for table locks needlessly.
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
        functions = helper_functions(
            schema, quote(token_table) if token_table in existing else None
        )
        statements = _function_statements(cursor, schema_name, functions)
        if statements:
            # The policies call these functions: they must exist first.
            cursor.execute(";\n".join(statements))
        _sync_policies(cursor, schema_name, table_policies(schema, tables, quote), quote, raw)
        if settings.DATABASE_ROLE:
            statements = _role_statements(cursor, schema_name, settings.DATABASE_ROLE, quote)
            if statements:
                cursor.execute(";\n".join(statements))


_IN_SCHEMA = "(SELECT oid FROM pg_namespace WHERE nspname = %s)"


def _function_statements(
    cursor: Any, schema_name: str, functions: list[HelperFunction]
) -> list[str]:
    cursor.execute(
        "SELECT proname, prosrc, prosecdef, provolatile, proparallel, proconfig "  # noqa: S608
        "FROM pg_proc "
        f"WHERE pronamespace = {_IN_SCHEMA} AND proname = ANY(%s)",
        [schema_name, [function.name for function in functions]],
    )
    current = {name: tuple(state) for name, *state in cursor.fetchall()}
    return [
        function.create()
        for function in functions
        if current.get(function.name) != function.state()
    ]


# How a policy stands in the catalogue, as PostgreSQL prints it back.
_POLICY_STATE = (
    "concat_ws(' | ', p.polcmd, p.polpermissive, p.polroles::text, "
    "pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))"
)


def _stamp(policy: Policy, state: str) -> str:
    # Our definition and the catalogue's state right after creating it: a policy altered since
    # (its comment kept, its expression not) no longer matches and is created again.
    return f"{STAMP_PREFIX}{policy.definition()} => {state}"


def _sync_policies(
    cursor: Any,
    schema_name: str,
    policies: dict[str, list[Policy]],
    quote: Callable[[str], str],
    raw: Any,
) -> None:
    def read() -> tuple[dict[str, bool], dict[str, dict[str, tuple[str, str | None]]]]:
        cursor.execute(
            f"SELECT c.relname, c.relrowsecurity, p.polname, {_POLICY_STATE}, "  # noqa: S608
            "obj_description(p.oid, 'pg_policy') "
            "FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid "
            f"WHERE c.relnamespace = {_IN_SCHEMA} AND c.relname = ANY(%s)",
            [schema_name, list(policies)],
        )
        enabled: dict[str, bool] = {}
        present: dict[str, dict[str, tuple[str, str | None]]] = {table: {} for table in policies}
        for table, rls_on, name, state, comment in cursor.fetchall():
            enabled[table] = rls_on
            if name is not None:
                present[table][name] = (state, comment)
        return enabled, present

    enabled, present = read()
    statements: list[str] = []
    created: list[tuple[str, Policy]] = []
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
            found = present[table].get(policy.name)
            if found is not None and found[1] == _stamp(policy, found[0]):
                continue
            if found is not None:
                statements.append(f"DROP POLICY {quote(policy.name)} {on}")
            statements.append(f"CREATE POLICY {quote(policy.name)} {on} {policy.definition()}")
            created.append((table, policy))
    if not statements:
        return
    cursor.execute(";\n".join(statements))
    if created:
        _, present = read()
        cursor.execute(
            ";\n".join(
                f"COMMENT ON POLICY {quote(policy.name)} ON {quote(table)} IS "
                + sql.Literal(_stamp(policy, present[table][policy.name][0])).as_string(raw)
                for table, policy in created
            )
        )


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
        f"SELECT relname FROM pg_class WHERE relnamespace = {_IN_SCHEMA} "  # noqa: S608
        "AND relowner = (SELECT oid FROM pg_roles WHERE rolname = %s) LIMIT 1",
        [schema_name, role],
    )
    owned = cursor.fetchone()
    if owned is not None:
        raise ImproperlyConfigured(
            f"DATABASE_ROLE {role!r} owns {owned[0]}: an owner is not subject to row-level "
            "security. Let the migrating role own the tables."
        )
    # No default privileges for tables created later: a new table stays closed to the
    # application until this sync, after its migration, has put row-level security on it.
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
