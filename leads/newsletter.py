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
   over one SMTP connection, marking each row sent as soon as the server has
   accepted it.
4. The delivery rows, not the task table, decide what is still owed: the sweep
   re-enqueues batches for deliveries that are due (retries) or whose worker
   died mid-batch (claimed longer than NEWSLETTER_CLAIM_TIMEOUT ago).

The weekly digest uses the same rows and the same sending code, with a
``DigestRun`` per week instead of an announcement.
"""

import contextlib
import logging
import smtplib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from time import monotonic
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from clinic_site.models import ClinicProfile
from leads.models import Delivery, DigestRun, PostAnnouncement, Subscriber

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1000
# At most this many batch tasks wait at once (200,000 emails at the default
# batch size); each finishing batch enqueues more while deliveries remain.
MAX_BATCHES_PER_SWEEP = 1000
CLAIM_RENEWAL_SECONDS = 60


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
        )
        count = _queue_deliveries(recipients, post_id=announcement.post_id)
        announcement.recipient_count = count
        announcement.recipients_listed_at = timezone.now()
        announcement.save(update_fields=["recipient_count", "recipients_listed_at"])
        enqueue_send_batches(count)
    logger.info("Queued post %s for %s subscribers", announcement.post_id, count)
    return count


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


def enqueue_send_batches(count: int) -> int:
    """Enqueue enough batch tasks to send ``count`` deliveries."""
    from leads.tasks import send_newsletter_batch

    batches = min(-(-count // settings.NEWSLETTER_BATCH_SIZE), MAX_BATCHES_PER_SWEEP)
    for _ in range(batches):
        send_newsletter_batch.enqueue()
    return batches


# --- Weekly digest ------------------------------------------------------------


def digest_week(now=None):
    """The Monday (local time) of the last complete week before ``now``."""
    today = timezone.localdate(now or timezone.now())
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7)


def digest_posts(week_start):
    """Public posts meant for email that went public in the week."""
    start = timezone.make_aware(datetime.combine(week_start, time.min))
    end = timezone.make_aware(
        datetime.combine(week_start + timedelta(days=7), time.min)
    )
    return Post.objects.published().filter(
        notify_subscribers=True, published_at__gte=start, published_at__lt=end
    )


def weekly_digest_is_due(now=None) -> bool:
    """True from Monday NEWSLETTER_DIGEST_HOUR on, until last week's digest ran."""
    local = timezone.localtime(now or timezone.now())
    if local.weekday() == 0 and local.hour < settings.NEWSLETTER_DIGEST_HOUR:
        return False
    return not DigestRun.objects.filter(week_start=digest_week(now)).exists()


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
                )
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
    report = {"announced": announce_new_posts(now), "listed": 0}
    unlisted = PostAnnouncement.objects.filter(recipients_listed_at__isnull=True)
    for announcement_id in unlisted.values_list("pk", flat=True):
        report["listed"] += queue_post_deliveries(announcement_id)
    if weekly_digest_is_due(now):
        start_weekly_digest(now)
    report["gave_up"] = fail_exhausted_deliveries(now)
    report["enqueued"] = ensure_send_batches(now)
    return report


def ensure_send_batches(now=None) -> int:
    """Enqueue batches for whatever is claimable, unless some already wait."""
    if _send_batches_waiting():
        return 0
    with transaction.atomic():
        return enqueue_send_batches(Delivery.objects.claimable(now).count())


def fail_exhausted_deliveries(now=None) -> int:
    """Give up on deliveries whose worker died on each of their last attempts."""
    return (
        Delivery.objects.abandoned(now)
        .filter(attempts__gte=settings.NEWSLETTER_MAX_ATTEMPTS)
        .update(
            status=Delivery.Status.FAILED,
            claimed_by="",
            last_error="The worker stopped while sending, on every attempt.",
            updated_at=timezone.now(),
        )
    )


def _send_batches_waiting() -> bool:
    """Whether a batch task is already waiting in the database queue.

    Only a hint to avoid piling up tasks: a waiting batch takes whatever is
    claimable when it runs. Other task backends always get new batches.
    """
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from leads.tasks import send_newsletter_batch

    backend = task_backends[send_newsletter_batch.backend]
    if not isinstance(backend, DatabaseBackend):
        return False
    return (
        DBTaskResult.objects.ready()
        .filter(task_path=send_newsletter_batch.module_path)
        .exists()
    )


# --- Claiming and sending ----------------------------------------------------


@dataclass
class BatchResult:
    """What one batch did, by outcome."""

    claimed: int = 0
    counts: dict = field(default_factory=dict)

    def add(self, outcome):
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


def claim_batch(token: str, size: int, now=None) -> int:
    """Mark up to ``size`` claimable deliveries as being sent by ``token``.

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent
    claimers pass each other by; the UPDATE re-checks that each row is still
    claimable, so even without row locks no row is ever claimed twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        candidates = (
            Delivery.objects.claimable(now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)[:size]
        )
        return (
            Delivery.objects.claimable(now)
            .filter(pk__in=list(candidates))
            .update(
                status=Delivery.Status.SENDING,
                claimed_by=token,
                claimed_at=now,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
        )


def send_batch(size: int | None = None) -> BatchResult:
    """Claim one batch of owed deliveries and send it over one SMTP connection."""
    token = uuid.uuid4().hex
    result = BatchResult(
        claimed=claim_batch(token, size or settings.NEWSLETTER_BATCH_SIZE)
    )
    if not result.claimed:
        return result
    deliveries = list(
        Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING)
        .select_related("subscriber", "digest")
        .order_by("pk")
    )
    builder = MessageBuilder()
    connection = mailers.default
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        for delivery in deliveries:
            _retry_later(delivery, token, _describe(error))
            result.add("retry")
        logger.warning(
            "Mail server unavailable (%s); batch will be retried", _code(error)
        )
        return result
    renewed = monotonic()
    try:
        for index, delivery in enumerate(deliveries):
            if monotonic() - renewed > CLAIM_RENEWAL_SECONDS:
                _renew_claim(token)
                renewed = monotonic()
            outcome = _send_one(connection, builder, delivery, token)
            result.add(outcome)
            if outcome == "disconnected":
                for rest in deliveries[index + 1 :]:
                    _retry_later(rest, token, "The mail server closed the connection.")
                    result.add("retry")
                break
    finally:
        with contextlib.suppress(OSError):  # smtplib's errors are OSErrors too
            connection.close()
    logger.info("Newsletter batch: %s", result.counts)
    return result


def _renew_claim(token):
    """Tell other workers this batch is alive (a slow mail server is not a
    dead worker)."""
    Delivery.objects.filter(claimed_by=token, status=Delivery.Status.SENDING).update(
        claimed_at=timezone.now()
    )


def _send_one(connection, builder, delivery, token) -> str:
    now = timezone.now()
    # Right before sending, check that the row is still this batch's and that
    # the person is still subscribed (someone may unsubscribe mid-send). A
    # read, so it costs no commit.
    still_wanted = Delivery.objects.filter(
        pk=delivery.pk,
        claimed_by=token,
        status=Delivery.Status.SENDING,
        subscriber__status=Subscriber.Status.CONFIRMED,
    ).exists()
    if not still_wanted:
        skipped = Delivery.objects.filter(
            pk=delivery.pk, claimed_by=token, status=Delivery.Status.SENDING
        ).update(status=Delivery.Status.SKIPPED, claimed_by="", updated_at=now)
        return "skipped" if skipped else "lost_claim"
    try:
        message = builder.build(delivery)
    except Exception as error:  # a broken post must not stop the batch
        logger.exception("Could not build newsletter delivery %s", delivery.pk)
        _retry_later(delivery, token, f"Could not build the email: {error}")
        return "retry"
    if message is None:
        _finish(delivery, token, Delivery.Status.SKIPPED, "Nothing left to send.")
        return "skipped"
    try:
        connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        code, _ = next(iter(error.recipients.values()), (0, b""))
        if 500 <= code < 600:
            _bounce(delivery, token, _describe(error))
            return "bounced"
        _retry_later(delivery, token, _describe(error))
        return "retry"
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPSenderRefused) as error:
        _retry_later(delivery, token, _describe(error))
        return "disconnected"
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            _finish(delivery, token, Delivery.Status.FAILED, _describe(error))
            return "failed"
        _retry_later(delivery, token, _describe(error))
        return "retry"
    except (ValueError, UnicodeError) as error:  # an address SMTP cannot carry
        _finish(delivery, token, Delivery.Status.FAILED, f"Invalid address: {error}")
        return "failed"
    except OSError as error:  # socket errors and timeouts: the connection is gone
        _retry_later(delivery, token, _describe(error))
        return "disconnected"
    Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        claimed_by="",
        last_error="",
        updated_at=timezone.now(),
    )
    return "sent"


def _finish(delivery, token, status, error=""):
    Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
        status=status, claimed_by="", last_error=error[:500], updated_at=timezone.now()
    )


def _bounce(delivery, token, error):
    """A permanent refusal: stop all mail to that address."""
    now = timezone.now()
    with transaction.atomic():
        _finish(delivery, token, Delivery.Status.BOUNCED, error)
        Subscriber.objects.filter(
            pk=delivery.subscriber_id, status=Subscriber.Status.CONFIRMED
        ).update(status=Subscriber.Status.BOUNCED, bounced_at=now, updated_at=now)


def _retry_later(delivery, token, error):
    """A temporary failure: back off exponentially, then give up."""
    now = timezone.now()
    attempts = max(delivery.attempts, 1)  # already counted when it was claimed
    if attempts >= settings.NEWSLETTER_MAX_ATTEMPTS:
        _finish(delivery, token, Delivery.Status.FAILED, error)
        return
    delay = settings.NEWSLETTER_RETRY_SECONDS * 2 ** (attempts - 1)
    Delivery.objects.filter(pk=delivery.pk, claimed_by=token).update(
        status=Delivery.Status.QUEUED,
        claimed_by="",
        next_attempt_at=now + timedelta(seconds=delay),
        last_error=error[:500],
        updated_at=now,
    )


def _code(error):
    return getattr(error, "smtp_code", None) or type(error).__name__


def _describe(error) -> str:
    """A short description for the admin (may name the address; never logged)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (0, b""))
        return f"Refused by the mail server: {code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"Mail server answered {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


# --- The emails ---------------------------------------------------------------


def _clean_header(value: str) -> str:
    """Collapse line breaks and runs of spaces, so a title can't add headers."""
    return " ".join(str(value).split())


def _absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def _tracked(url: str, campaign: str) -> str:
    query = urlencode(
        {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": campaign}
    )
    return f"{url}?{query}"


def post_context(post) -> dict:
    """What every copy of a post's email shares."""
    image = None
    if post.hero_image:
        image = {
            "url": _absolute(post.hero_image.url),
            "alt": post.hero_image_alt,
            "width": post.hero_image_width,
            "height": post.hero_image_height,
        }
    return {
        "post": post,
        "title": _clean_header(post.title),
        "summary": post.summary.strip(),
        "post_url": _tracked(_absolute(post.get_absolute_url()), post.slug),
        "image": image,
    }


def common_context() -> dict:
    clinic = ClinicProfile.current()
    address = ", ".join(
        part
        for part in [
            clinic.street_address,
            clinic.city,
            " ".join(p for p in [clinic.region, clinic.postcode] if p),
        ]
        if part
    )
    return {
        "clinic": clinic,
        "clinic_address": address,
        "site_url": settings.SITE_URL,
        "blog_url": _absolute(reverse("blog:post_list")),
    }


def build_email(template, subject, context, *, to, unsubscribe_url):
    """An HTML and text email with the one-click unsubscribe headers."""
    context = {**context, "email": to, "unsubscribe_url": unsubscribe_url}
    message = EmailMultiAlternatives(
        subject=_clean_header(subject),
        body=render_to_string(f"leads/email/{template}.txt", context),
        to=[to],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string(f"leads/email/{template}.html", context), "text/html"
    )
    return message


def build_post_email(post, subscriber, *, common=None, shared=None):
    context = {
        **(common or common_context()),
        **(shared or post_context(post)),
        "first_name": _clean_header(subscriber.first_name),
        "frequency": "every new post",
    }
    return build_email(
        "newsletter_post",
        context["title"],
        context,
        to=subscriber.email,
        unsubscribe_url=subscriber.get_unsubscribe_url(),
    )


def build_digest_email(digest, posts, subscriber, *, common=None):
    common = common or common_context()
    week_end = digest.week_start + timedelta(days=6)
    context = {
        **common,
        "posts": [post_context(post) for post in posts],
        "week_start": digest.week_start,
        "week_end": week_end,
        "first_name": _clean_header(subscriber.first_name),
        "frequency": "a weekly digest",
    }
    subject = f"This week on the {common['clinic'].name} blog"
    return build_email(
        "newsletter_digest",
        subject,
        context,
        to=subscriber.email,
        unsubscribe_url=subscriber.get_unsubscribe_url(),
    )


def delivery_message_id(delivery) -> str:
    """The same Message-ID every time a delivery is sent.

    If a worker dies after the mail server accepted a message but before the
    delivery was marked sent, the delivery is sent again later; a fixed
    Message-ID lets receiving servers and mail clients drop the repeat.
    """
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<newsletter-delivery-{delivery.pk}@{domain}>"


class MessageBuilder:
    """Builds each delivery's email, rendering what copies share only once."""

    def __init__(self):
        self.common = common_context()
        self.posts = {}
        self.digests = {}

    def build(self, delivery):
        message = self._build(delivery)
        if message is not None:
            message.extra_headers["Message-ID"] = delivery_message_id(delivery)
        return message

    def _build(self, delivery):
        if delivery.post_id:
            if delivery.post_id not in self.posts:
                post = Post.objects.defer("body", "body_html", "toc_html").get(
                    pk=delivery.post_id
                )
                self.posts[delivery.post_id] = (post, post_context(post))
            post, shared = self.posts[delivery.post_id]
            return build_post_email(
                post, delivery.subscriber, common=self.common, shared=shared
            )
        if delivery.digest_id not in self.digests:
            posts = list(
                digest_posts(delivery.digest.week_start)
                .defer("body", "body_html", "toc_html")
                .order_by("published_at")
            )
            self.digests[delivery.digest_id] = posts
        posts = self.digests[delivery.digest_id]
        if not posts:
            return None
        return build_digest_email(
            delivery.digest, posts, delivery.subscriber, common=self.common
        )


def send_test_email(post_id: int, email: str, first_name: str = "") -> None:
    """Email a post, as subscribers will see it, to a member of staff."""
    post = Post.objects.get(pk=post_id)
    stand_in = Subscriber(pk=0, email=email, first_name=first_name)
    message = build_post_email(post, stand_in)
    message.subject = f"[Test] {message.subject}"
    message.send()


# --- The admin's view --------------------------------------------------------


def delivery_counts(queryset):
    """Annotate posts with how many deliveries are in each state."""
    statuses = Delivery.Status
    return queryset.annotate(
        deliveries_total=Count("deliveries"),
        deliveries_queued=Count(
            "deliveries",
            filter=Q(deliveries__status__in=[statuses.QUEUED, statuses.SENDING]),
        ),
        deliveries_sent=Count("deliveries", filter=Q(deliveries__status=statuses.SENT)),
        deliveries_failed=Count(
            "deliveries", filter=Q(deliveries__status=statuses.FAILED)
        ),
        deliveries_bounced=Count(
            "deliveries", filter=Q(deliveries__status=statuses.BOUNCED)
        ),
        deliveries_skipped=Count(
            "deliveries", filter=Q(deliveries__status=statuses.SKIPPED)
        ),
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
