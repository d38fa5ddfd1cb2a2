"""Queue last week's digest for weekly subscribers.

The worker does this by itself every Monday from NEWSLETTER_DIGEST_HOUR; run it
from cron only if you prefer (for example ``0 9 * * 1``). Running it twice in
the same week does nothing the second time, and a week without posts sends
nothing. The worker sends the queued emails.
"""

from django.core.management.base import BaseCommand

from newsletter import announcing
from newsletter.models import DigestRun


class Command(BaseCommand):
    help = "Queue the weekly digest of last week's posts (safe to run twice)."

    def handle(self, *args, **options):
        week_start = announcing.digest_week()
        already = DigestRun.objects.filter(week_start=week_start).exists()
        run = announcing.start_weekly_digest()
        if already:
            message = f"The digest for the week of {week_start} was already queued."
        elif not run.post_count:
            message = f"No posts in the week of {week_start}: nothing to send."
        else:
            message = (
                f"Queued the digest for the week of {week_start} ({run.post_count} "
                f"posts) to {run.recipient_count} subscribers."
            )
        self.stdout.write(message)
