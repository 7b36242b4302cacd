from django.db import migrations

# The sections a report held before they became the dashboard widgets, and their widgets.
RENAMED = {
    "value_by_stage": "doi_funnel",
    "open_exceptions_by_forum": "exceptions_by_forum",
    "approvals_pending_by_age": "approvals_by_age",
}


def rename(mapping):
    def run(apps, schema_editor):
        definition = apps.get_model("reporting", "ReportDefinition")
        for row in definition._base_manager.all().only("pk", "sections"):
            sections = list(dict.fromkeys(mapping.get(key, key) for key in row.sections or []))
            if sections != row.sections:
                definition._base_manager.filter(pk=row.pk).update(sections=sections)

    return run


class Migration(migrations.Migration):
    """Definitions name widget keys: the three former sections are mapped to their widgets."""

    dependencies = [
        ("reporting", "0002_report_definitions_runs_files"),
    ]

    operations = [
        migrations.RunPython(
            rename(RENAMED), rename({new: old for old, new in RENAMED.items()})
        ),
    ]
