"""A GIN index on the organisation search vector, on PostgreSQL only.

SQLite has no tsvector; there the search falls back to LIKE over the folded
document (community/search.py), so the index is skipped.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS org_search_vector_gin "
            "ON community_organisation USING gin (search_vector)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS org_search_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("community", "0002_seed_value_chain_and_fields")]

    operations = [migrations.RunPython(create_index, drop_index)]
