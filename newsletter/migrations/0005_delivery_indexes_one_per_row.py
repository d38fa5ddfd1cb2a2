"""Each delivery row in one unique index, not two (with a NULL), and no
separate indexes on post and digest: the unique constraints start with those
columns. Every claim and mark of a row writes an entry into each index.

The foreign keys' indexes are dropped by name found on the table, so that
Django does not drop and re-add (and re-check) the foreign keys themselves.
"""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = (["post_id"], ["digest_id"])


def drop_covered_indexes(apps, schema_editor):
    table = apps.get_model("newsletter", "Delivery")._meta.db_table
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    for name, about in constraints.items():
        plain_index = about["index"] and not (
            about["unique"] or about["primary_key"] or about["foreign_key"]
        )
        if plain_index and about["columns"] in COLUMNS:
            schema_editor.execute(
                schema_editor.sql_delete_index
                % {
                    "table": schema_editor.quote_name(table),
                    "name": schema_editor.quote_name(name),
                }
            )


def recreate_covered_indexes(apps, schema_editor):
    delivery = apps.get_model("newsletter", "Delivery")
    for field in ("post", "digest"):
        schema_editor.add_index(
            delivery, models.Index(fields=[field], name=f"delivery_{field}_fk_idx")
        )


class Migration(migrations.Migration):

    dependencies = [
        ("blog", "0006_author_photo_renditions"),
        ("leads", "0011_lead_self_check"),
        ("newsletter", "0004_delivery_indexes_hold_rows_in_flight"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="delivery",
            name="one_delivery_per_post",
        ),
        migrations.RemoveConstraint(
            model_name="delivery",
            name="one_delivery_per_digest",
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("post__isnull", False)),
                fields=("post", "subscriber"),
                name="one_delivery_per_post",
            ),
        ),
        migrations.AddConstraint(
            model_name="delivery",
            constraint=models.UniqueConstraint(
                condition=models.Q(("digest__isnull", False)),
                fields=("digest", "subscriber"),
                name="one_delivery_per_digest",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_covered_indexes, recreate_covered_indexes)
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="digest",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="newsletter.digestrun",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="post",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="blog.post",
                    ),
                ),
            ],
        ),
    ]
