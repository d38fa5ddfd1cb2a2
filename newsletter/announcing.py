"""Blog updates by email: every new post reaches every subscriber exactly once.

How it works, in the order things happen:

1. Publishing a post changes only the post. The worker's sweep
   (``sweep()``, at start and every NEWSLETTER_SWEEP_SECONDS) notices posts
   that went public recently and records a ``PostAnnouncement`` for each, once
   per post, so editing, unpublishing or republishing never sends it again.
2. For each announcement it queues one ``Delivery`` row per confirmed
   "every post" subscriber (a unique constraint makes this idempotent) and,
   in the same transaction, enqueues the batch tasks that will send them.
3. A batch task claims up to NEWSLETTER_BATCH_SIZE owed deliveries
   (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises
   writers, and the claim is a conditional UPDATE either way), then sends them
   over one SMTP connection, marking each row sent once the server has
   accepted it and before the next email's data goes.
4. The delivery rows, not the task table, decide what is still owed: the sweep
   re-enqueues batches for deliveries that are due (retries) or whose worker
   died mid-batch (claimed longer than NEWSLETTER_CLAIM_TIMEOUT ago).

The weekly digest uses the same rows and the same sending code, with a
``DigestRun`` per week instead of an announcement.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from blog.models import Post
from core.models import ClinicProfile
from leads.models import Subscriber
from newsletter.models import Delivery, DigestRun, PostAnnouncement, digest_posts
from newsletter.tasks import enqueue_send_batches, ensure_send_batches

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000


# --- Which posts owe an email, and to whom ----------------------------------


def posts_owing_announcement(now=None):
    """Posts that went public recently, should be emailed, and never were."""
    now = now or timezone.now()
    window = timedelta(hours=settings.NEWSLETTER_ANNOUNCE_WITHIN_HOURS)
    return Post.objects.published().filter(
        notify_subscribers=True,
        published_at__gte=now - window,
        announcement__isnull=True,
    )


def announce_new_posts(now=None) -> int:
    """Record an announcement for each post owing one; return how many."""
    created = 0
    for post_id in posts_owing_announcement(now).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                _, is_new = PostAnnouncement.objects.get_or_create(post_id=post_id)
        except IntegrityError:  # another worker announced it a moment ago
            is_new = False
        created += is_new
    return created


def queue_post_deliveries(announcement_id: int) -> int:
    """Queue a delivery of an announced post to each every-post subscriber.

    Runs once per announcement: the row is locked and marked in the same
    transaction, so two workers never list the same post twice.
    """
    with transaction.atomic():
        announcement = (
            PostAnnouncement.objects.select_for_update(skip_locked=True)
            .filter(pk=announcement_id, recipients_listed_at__isnull=True)
            .first()
        )
        if announcement is None:
            return 0
        recipients = Subscriber.objects.filter(
            status=Subscriber.Status.CONFIRMED,
            frequency=Subscriber.Frequency.EVERY_POST,
        ).filter(following(Post.objects.filter(pk=announcement.post_id)))
        count = _queue_deliveries(recipients, post_id=announcement.post_id)
        announcement.recipient_count = count
        announcement.recipients_listed_at = timezone.now()
        announcement.save(update_fields=["recipient_count", "recipients_listed_at"])
        enqueue_send_batches(count)
    logger.info("Queued post %s for %s subscribers", announcement.post_id, count)
    return count


def following(posts) -> Q:
    """Subscribers who follow every post, or a topic of one of ``posts``."""
    topics = Post.topics.through.objects.filter(post__in=posts.values("pk"))
    return Q(follows_all_topics=True) | Q(
        Exists(
            Subscriber.topics.through.objects.filter(
                subscriber=OuterRef("pk"), topic_id__in=topics.values("topic_id")
            )
        )
    )


def _queue_deliveries(recipients, **target) -> int:
    """Insert one queued delivery per recipient in chunks, keeping memory flat."""
    ids = recipients.order_by("pk").values_list("pk", flat=True)
    count = 0
    chunk = []
    for subscriber_id in ids.iterator(chunk_size=CHUNK_SIZE):
        chunk.append(Delivery(subscriber_id=subscriber_id, **target))
        if len(chunk) == CHUNK_SIZE:
            Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
            count += len(chunk)
            chunk = []
    if chunk:
        Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
        count += len(chunk)
    return count


# --- Weekly digest ------------------------------------------------------------


def digest_week(now=None):
    """The Monday (local time) of the last complete week before ``now``."""
    today = timezone.localdate(now or timezone.now())
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7)


def weekly_digest_is_due(now=None) -> bool:
    """True from Monday NEWSLETTER_DIGEST_HOUR on, until last week's digest ran."""
    local = timezone.localtime(now or timezone.now())
    if local.weekday() == 0 and local.hour < settings.NEWSLETTER_DIGEST_HOUR:
        return False
    return not DigestRun.objects.filter(week_start=digest_week(now)).exists()


def send_weekly_digest_if_due(now=None) -> bool:
    """The weekly digest job: queue last week's digest once it is due."""
    if not weekly_digest_is_due(now):
        return False
    if not ClinicProfile.current().has_postal_address:
        return False  # CAN-SPAM: waits, like posts, for the postal address
    start_weekly_digest(now)
    return True


def start_weekly_digest(now=None) -> DigestRun:
    """Queue last week's digest to weekly subscribers; a second call does nothing.

    A week without posts is recorded too, with no deliveries, so nobody gets an
    empty digest.
    """
    week_start = digest_week(now)
    try:
        with transaction.atomic():
            run, is_new = DigestRun.objects.get_or_create(week_start=week_start)
            if not is_new:
                return run
            run.post_count = digest_posts(week_start).count()
            if run.post_count:
                recipients = Subscriber.objects.filter(
                    status=Subscriber.Status.CONFIRMED,
                    frequency=Subscriber.Frequency.WEEKLY,
                ).filter(following(digest_posts(week_start)))
                run.recipient_count = _queue_deliveries(recipients, digest_id=run.pk)
                enqueue_send_batches(run.recipient_count)
            run.recipients_listed_at = timezone.now()
            run.save()
    except IntegrityError:  # another worker started the same week
        return DigestRun.objects.get(week_start=week_start)
    logger.info(
        "Weekly digest for %s: %s posts, %s subscribers",
        week_start,
        run.post_count,
        run.recipient_count,
    )
    return run


# --- The sweep ----------------------------------------------------------------


def sweep(now=None) -> dict:
    """Find what is owed and make sure a batch task is on its way for it.

    Safe to run at any time, from any number of workers at once.
    """
    now = now or timezone.now()
    if not ClinicProfile.current().has_postal_address:
        # CAN-SPAM: no marketing email without the sender's postal address.
        # Posts wait unannounced; once the address is filled in, those still
        # within NEWSLETTER_ANNOUNCE_WITHIN_HOURS go out.
        logger.warning("Newsletter waits: the clinic profile has no postal address")
        return {"waiting_for_postal_address": True}
    report = {"announced": announce_new_posts(now), "listed": 0}
    unlisted = PostAnnouncement.objects.filter(recipients_listed_at__isnull=True)
    for announcement_id in unlisted.values_list("pk", flat=True):
        report["listed"] += queue_post_deliveries(announcement_id)
    report["gave_up"] = fail_exhausted_deliveries(now)
    report["enqueued"] = ensure_send_batches(now)
    return report


def fail_exhausted_deliveries(now=None) -> int:
    """Give up on deliveries whose worker died on each of their last attempts."""
    return (
        Delivery.objects.abandoned(now)
        .filter(attempts__gte=settings.MAIL_MAX_ATTEMPTS)
        .update(
            status=Delivery.Status.FAILED,
            claimed_by="",
            last_error="The worker stopped while sending, on every attempt.",
            updated_at=timezone.now(),
        )
    )


def retry_failed(deliveries) -> int:
    """Queue these deliveries again, with fresh attempts, if they failed."""
    with transaction.atomic():
        count = deliveries.filter(status=Delivery.Status.FAILED).update(
            status=Delivery.Status.QUEUED,
            attempts=0,
            next_attempt_at=None,
            claimed_by="",
            updated_at=timezone.now(),
        )
        enqueue_send_batches(count)
    return count
