"""Anonymize closed leads older than the retention period.

The worker runs it daily by itself (settings.PERIODIC_JOBS); run it by hand
with ``--dry-run`` first to see what it would do.
A closed lead is one that became a patient, was not a fit, never answered or
was spam, or was archived. Open leads are never touched, however old.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leads.models import Lead


class Command(BaseCommand):
    help = (
        "Anonymize closed leads received more than LEADS_RETENTION_DAYS days ago "
        "(names, contact details, messages and notes are removed)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count the leads that would be anonymized.",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention period in days (default: LEADS_RETENTION_DAYS).",
        )

    def handle(self, *args, dry_run=False, days=None, **options):
        days = settings.LEADS_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        leads = Lead.objects.purgeable(retention_days=days)
        if dry_run:
            count = leads.count()
            self.stdout.write(
                f"Dry run: {count} closed lead(s) older than {days} days "
                "would be anonymized."
            )
            return
        count = leads.anonymize()
        self.stdout.write(f"Anonymized {count} closed lead(s) older than {days} days.")
