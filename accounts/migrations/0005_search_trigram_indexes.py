"""Trigram indexes for the counter's search by name, e-mail and phone (PostgreSQL only).

Django's icontains reads UPPER(column::text) LIKE UPPER('%word%'); a GIN index of that
expression with pg_trgm's operator class answers it without reading every member. pg_trgm is a
trusted extension (PostgreSQL 13 and later): the database's owner may create it. SQLite has
neither, and searches its few members as before."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

COLUMNS = ("first_name", "last_name", "email", "phone")


def sql(template):
    return [template.format(column=column) for column in COLUMNS]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in sql(
        "CREATE INDEX IF NOT EXISTS accounts_user_{column}_trgm ON accounts_user "
        "USING gin (UPPER({column}::text) gin_trgm_ops)"
    ):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in sql("DROP INDEX IF EXISTS accounts_user_{column}_trgm"):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_privacy")]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
