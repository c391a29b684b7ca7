"""A trigram index of the member's whole name, "first last" (PostgreSQL only), for the
counter's search of a whole name as typed (loyalty.selectors.FULL_NAME reads the same
expression). See 0005."""

from django.db import migrations

INDEX = "accounts_user_full_name_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_user "
        "USING gin (UPPER((first_name || ' ' || last_name)::text) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_search_trigram_indexes")]

    operations = [migrations.RunPython(create, drop)]
