"""PostgreSQL triggers that refuse UPDATE and DELETE on append-only tables, for migrations.

`sispam_append_only()` is created by core/migrations/0002; a migration that adds an
append-only model runs `migrations.RunPython(*append_only_triggers([table, ...]))`.
"""


def append_only_triggers(tables: list[str]):
    """(forward, backward) functions for RunPython: add, then drop, the tables' triggers."""

    def add(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION sispam_append_only();",
                params=None,
            )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")

    return add, drop
