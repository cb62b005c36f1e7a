"""On PostgreSQL, refuse UPDATE and DELETE on the incident timeline and the use-of-force log."""

from django.db import migrations

from core.append_only import append_only_triggers

TABLES = ["incidents_incidentevent", "incidents_useofforce"]


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_response_workflow"),
        ("core", "0002_roles_and_append_only"),
    ]

    operations = [migrations.RunPython(*append_only_triggers(TABLES))]
