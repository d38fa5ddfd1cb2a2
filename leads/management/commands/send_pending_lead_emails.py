from django.core.management.base import BaseCommand

from leads.tasks import enqueue_unsent_emails, schedule_next_sweep


class Command(BaseCommand):
    help = (
        "Re-enqueue lead and sign-up emails that never went out (failed tasks, "
        "crashed workers), and make sure the worker's periodic sweep is queued. "
        "Run it when the worker starts; running it again is harmless."
    )

    def handle(self, *args, **options):
        count = enqueue_unsent_emails()
        schedule_next_sweep()
        self.stdout.write(f"Re-enqueued {count} unsent email(s).")
