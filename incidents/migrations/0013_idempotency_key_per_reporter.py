"""Idempotency keys are per reporter (issue #17 part 8): two officers' phones may make the same
key. The unique key becomes a unique (reporter, key) among rows that have a key.

Existing rows already satisfy it (the key was unique across everyone). A row stored with an
empty key (none should exist: the services store None) would count as a key under the new
constraint, so any is set to NULL first, which the partial index leaves out as before.
"""

from django.conf import settings
from django.db import migrations, models


def empty_keys_to_null(apps, schema_editor):
    for name in ("Incident", "TpsReturn"):
        model = apps.get_model("incidents", name)
        model.objects.filter(idempotency_key="").update(idempotency_key=None)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0012_scoring_failure"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="incident",
            name="idempotency_key",
            field=models.CharField(blank=True, max_length=80, null=True),
        ),
        migrations.AlterField(
            model_name="tpsreturn",
            name="idempotency_key",
            field=models.CharField(blank=True, max_length=80, null=True),
        ),
        migrations.RunPython(empty_keys_to_null, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key__isnull", False)),
                fields=("reporter", "idempotency_key"),
                name="incident_key_per_reporter",
            ),
        ),
        migrations.AddConstraint(
            model_name="tpsreturn",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key__isnull", False)),
                fields=("reporter", "idempotency_key"),
                name="tps_return_key_per_reporter",
            ),
        ),
    ]
