"""On PostgreSQL, refuse UPDATE and DELETE on the incident timeline and the use-of-force log."""

from django.db import migrations

TABLES = ["incidents_incidentevent", "incidents_useofforce"]


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION sispam_append_only();",
            params=None,
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_response_workflow"),
        ("core", "0002_roles_and_append_only"),
    ]

    operations = [migrations.RunPython(add, drop)]
