"""Load Kota Metro's kecamatan, kelurahan and the Pemilu 2024 phases."""

from django.db import migrations


def load(apps, schema_editor):
    from operations.reference import places_load

    places_load(apps)


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
