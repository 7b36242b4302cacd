"""Tell PostgreSQL's planner that a measure belongs to one organization and one branch of the
hierarchy, so tenant-and-node filters are not estimated as independent (which made roll-ups
pick nested loops and sorts sized for a handful of rows)."""

from django.db import migrations

STATISTICS = (
    (
        "financialentry_org_measure_stats",
        "organization_id, measure_id",
        "measures_financialentry",
    ),
    (
        "measure_org_keys_stats",
        "organization_id, portfolio_id, program_id, project_id, package_id",
        "measures_measure",
    ),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns, table in STATISTICS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} (dependencies, ndistinct) "
            f"ON {columns} FROM {table}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _columns, _table in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("measures", "0008_risks")]

    operations = [migrations.RunPython(create, drop)]
