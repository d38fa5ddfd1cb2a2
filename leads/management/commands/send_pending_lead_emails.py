from django.core.management.base import BaseCommand

from leads.tasks import enqueue_unsent_emails


class Command(BaseCommand):
    help = (
        "Re-enqueue lead and sign-up emails that never went out (failed tasks, "
        "crashed workers). The worker does this by itself every "
        "LEADS_EMAIL_SWEEP_SECONDS; running it again is harmless."
    )

    def handle(self, *args, **options):
        count = enqueue_unsent_emails()
        self.stdout.write(f"Re-enqueued {count} unsent email(s).")
