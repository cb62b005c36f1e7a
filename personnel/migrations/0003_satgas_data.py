"""The six satgas of Operasi Mantap Brata at Polres level."""

from django.db import migrations


def load(apps, schema_editor):
    from operations.reference import SATGAS

    Satgas = apps.get_model("personnel", "Satgas")
    for order, (code, name) in enumerate(SATGAS, start=1):
        Satgas.objects.update_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("personnel", "0002_satgas_bko_requests_status_history")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
