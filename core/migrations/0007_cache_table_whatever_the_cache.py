"""The database cache's table, made even when Redis was the cache at the
first ``migrate``: a site that later runs without REDIS_URL falls back to it."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command(
        "createcachetable",
        "clinic_cache",
        database=schema_editor.connection.alias,
        verbosity=0,
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0006_clinicprofile_logo_renditions")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
