"""Every audit event is in its organization's chain; on PostgreSQL the table becomes append-only.

The trigger refuses every UPDATE and DELETE of an audit row, whoever asks: the application, an
administrator at a SQL prompt, or a cascade from deleting an organization or a user (the product
deletes neither; audit events are never deleted). TRUNCATE is not a row operation and stays
possible for the owner of the table (test databases are emptied that way); the application role
holds no TRUNCATE privilege.
"""

from typing import Any

from django.db import migrations, models

TRIGGER_FUNCTION = "throughline_audit_append_only"
TRIGGER = "audit_append_only"
TABLE = "governance_auditevent"

CREATE = f"""
CREATE OR REPLACE FUNCTION {TRIGGER_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    RAISE EXCEPTION 'The audit trail is append-only: % of audit event % refused.', TG_OP, OLD.id
        USING HINT = 'Audit events are never changed or deleted; write a new event instead.';
END
$body$;
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TRIGGER_FUNCTION}();
"""
DROP = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE};
DROP FUNCTION IF EXISTS {TRIGGER_FUNCTION}();
"""


def _on_postgresql(statements: str) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            # A cursor without parameters: the function body's % placeholders are PL/pgSQL's.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(statements)

    return run


class Migration(migrations.Migration):
    dependencies = [("governance", "0006_audit_chain_existing")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(
                editable=False, help_text="Position in the organization's chain: 1, 2, 3 …"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("organization", "seq"), name="audit_org_seq_uniq"
            ),
        ),
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP)),
    ]
