"""The TPS security patterns: Polda Lampung 2024 (the default) and Polres Metro Pilkada 2020."""

from django.db import migrations


def load(apps, schema_editor):
    from operations.reference import PATTERNS

    Pattern = apps.get_model("operations", "DeploymentPattern")
    for name, default, rules, description in PATTERNS:
        Pattern.objects.update_or_create(
            name=name, defaults={"is_default": default, "rules": rules, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("operations", "0003_vulnerability_posts_assignments_plans")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
