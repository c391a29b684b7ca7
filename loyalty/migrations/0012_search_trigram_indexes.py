"""Trigram indexes of the name and e-mail a card was enrolled with, for the counter's search
(PostgreSQL only; see accounts 0005)."""

from django.db import migrations

COLUMNS = ("holder_name", "holder_email")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS loyalty_card_{column}_trgm ON loyalty_card "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS loyalty_card_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_search_trigram_indexes"),
        ("loyalty", "0011_program_texts_translations"),
    ]

    operations = [migrations.RunPython(create, drop)]
