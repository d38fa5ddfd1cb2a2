import secrets

from django.db import migrations, models

import leads.models.subscriber


def give_every_subscriber_a_token(apps, schema_editor):
    """A token per existing row; their old signed-pk links keep working."""
    Subscriber = apps.get_model("leads", "Subscriber")
    for subscriber in Subscriber.objects.only("pk").iterator():
        Subscriber.objects.filter(pk=subscriber.pk).update(
            unsubscribe_token=secrets.token_urlsafe(16),
            has_legacy_unsubscribe_link=True,
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0003_newsletter_models_moved")]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="has_legacy_unsubscribe_link",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text=(
                    "Signed up before unsubscribe links carried a random token: "
                    "the older link in emails already sent keeps working."
                ),
            ),
        ),
        migrations.AddField(
            model_name="subscriber",
            name="unsubscribe_token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(give_every_subscriber_a_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriber",
            name="unsubscribe_token",
            field=models.CharField(
                default=leads.models.subscriber.new_unsubscribe_token,
                editable=False,
                max_length=64,
                unique=True,
            ),
        ),
    ]
