""""Archived" is no longer stored: a lead is archived when its status is closed.

Until now ``is_archived`` was set along with every status change, so it
matched "the status is closed" for every lead the workflow touched. A lead
that was flagged archived while its status was still open (older data)
would come back to the working list, so it moves to the new closed status
"Archived" instead, with a history event saying what it was. Going back
restores that status from the event and the flag from the status.
"""

from django.db import migrations, models

OPEN_STATUSES = ("new", "contacted", "scheduled")
ARCHIVED = "archived"


def archive_by_status(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    LeadEvent = apps.get_model("leads", "LeadEvent")
    kept = Lead.objects.filter(status__in=OPEN_STATUSES, is_archived=True)
    LeadEvent.objects.bulk_create(
        LeadEvent(lead_id=pk, kind="status", old_value=status, new_value=ARCHIVED)
        for pk, status in kept.values_list("pk", "status").iterator()
    )
    kept.update(status=ARCHIVED)


def archive_by_flag(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    LeadEvent = apps.get_model("leads", "LeadEvent")
    Lead.objects.exclude(status__in=OPEN_STATUSES).update(is_archived=True)
    # Leads this migration archived get their open status back; leads staff
    # archived by hand later have no open status to go back to, and stay
    # "archived" (a status the older code does not offer, but shows).
    moved = list(
        LeadEvent.objects.filter(
            kind="status",
            new_value=ARCHIVED,
            old_value__in=OPEN_STATUSES,
            changed_by__isnull=True,
            lead__status=ARCHIVED,
        ).order_by("lead_id", "-created_at", "-pk")
    )
    for event in moved:
        Lead.objects.filter(pk=event.lead_id, status=ARCHIVED).update(
            status=event.old_value, is_archived=True
        )
    LeadEvent.objects.filter(pk__in=[event.pk for event in moved]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0004_subscriber_unsubscribe_token"),
    ]

    operations = [
        migrations.AlterField(
            model_name="lead",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "New"),
                    ("contacted", "Contacted"),
                    ("scheduled", "Consultation scheduled"),
                    ("patient", "Became patient"),
                    ("not_a_fit", "Not a fit"),
                    ("no_response", "No response"),
                    ("archived", "Archived"),
                    ("spam", "Spam"),
                ],
                default="new",
                max_length=20,
            ),
        ),
        migrations.RunPython(archive_by_status, archive_by_flag),
        migrations.RemoveField(model_name="lead", name="is_archived"),
    ]
