"""Trigram indexes for the lead search (selectors.lead_search_q): each word is matched with icontains on four
columns, which PostgreSQL compiles to UPPER(column::text) LIKE UPPER('%word%'). Without an index that is a
scan of every lead of every tenant (seconds at a million leads); with a GIN trigram index on exactly that
expression per column, the four become one BitmapOr. pg_trgm needs three characters: a word of one or two
(a family name like 佐藤) still scans. PostgreSQL only; the embedded mode (SQLite) scans as before."""

from django.db import migrations

SEARCH_COLUMNS = ("company_name", "last_name", "first_name", "email_normalized")


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCH_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS lead_search_{column} ON leads_lead "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS lead_search_{column}")


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
