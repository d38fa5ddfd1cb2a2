from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from blog.models import Post


class PostMailing(Post):
    """A blog post seen from the newsletter side: who it goes to and how that went."""

    class Meta:
        proxy = True
        verbose_name = "post mailing"
        verbose_name_plural = "post mailings"


class PostAnnouncement(models.Model):
    """The one-time decision to email a post that went public.

    It is made once per post, so editing, unpublishing and republishing a post
    never email it again.
    """

    post = models.OneToOneField(
        "blog.Post", on_delete=models.CASCADE, related_name="announcement"
    )
    recipient_count = models.PositiveIntegerField(default=0)
    recipients_listed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a delivery was queued for every subscriber. Empty while "
        "the worker is still listing them.",
    )
    paused_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the remaining sends stopped; empty while sending.",
    )
    paused_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Announcement of {self.post}"


def digest_posts(week_start):
    """Public posts meant for email that went public in the week from Monday
    ``week_start``."""
    start = timezone.make_aware(datetime.combine(week_start, time.min))
    end = timezone.make_aware(
        datetime.combine(week_start + timedelta(days=7), time.min)
    )
    return Post.objects.published().filter(
        notify_subscribers=True, published_at__gte=start, published_at__lt=end
    )


class DigestRun(models.Model):
    """One weekly digest: the week it covers and how many it went to."""

    week_start = models.DateField(
        unique=True, help_text="The Monday of the week whose posts the digest lists."
    )
    post_count = models.PositiveIntegerField(default=0)
    recipient_count = models.PositiveIntegerField(default=0)
    recipients_listed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-week_start"]

    def __str__(self):
        return f"Digest for the week of {self.week_start}"

    def posts(self):
        """Public posts meant for email that went public in the week."""
        return digest_posts(self.week_start)


class DeliveryQuerySet(models.QuerySet):
    def owed(self):
        """Deliveries not finished yet: waiting, or claimed by a worker."""
        return self.filter(status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING])

    def abandoned(self, now=None):
        """Claimed by a worker so long ago that the worker must have died."""
        now = now or timezone.now()
        timeout = timedelta(seconds=settings.NEWSLETTER_CLAIM_TIMEOUT)
        return self.filter(status=Delivery.Status.SENDING, claimed_at__lt=now - timeout)

    def claimable(self, now=None):
        """Deliveries a worker may take now.

        Queued ones whose retry time has come, and abandoned ones that still
        have attempts left, for a post that is still public and still meant
        to be emailed (an editor can stop a send by unpublishing the post).
        """
        now = now or timezone.now()
        timeout = timedelta(seconds=settings.NEWSLETTER_CLAIM_TIMEOUT)
        due = Q(status=Delivery.Status.QUEUED) & (
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
        abandoned = Q(
            status=Delivery.Status.SENDING,
            claimed_at__lt=now - timeout,
            attempts__lt=settings.MAIL_MAX_ATTEMPTS,
        )
        public_posts = Post.objects.published().filter(
            notify_subscribers=True, announcement__paused_at__isnull=True
        )
        return self.filter(due | abandoned).filter(
            Q(post__isnull=True) | Q(post__in=public_posts.values("pk"))
        )


class Delivery(models.Model):
    """One post (or one weekly digest) owed to, or sent to, one subscriber."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"
        SKIPPED = "skipped", "Skipped"

    # Found through the unique constraints below, which start with them.
    post = models.ForeignKey(
        "blog.Post",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    digest = models.ForeignKey(
        DigestRun,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    subscriber = models.ForeignKey(
        "leads.Subscriber", on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="How many times a worker has tried to send it."
    )
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="Not retried before this time."
    )
    claimed_by = models.CharField(
        max_length=64, blank=True, help_text="The batch that is sending it."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider reported a hard bounce."
    )
    complained_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reader reported it as spam."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        # Each row is in one of these two, not in both with a NULL: every
        # claim and mark of a row writes a new entry into each index it is in.
        constraints = [
            models.UniqueConstraint(
                fields=["post", "subscriber"],
                condition=Q(post__isnull=False),
                name="one_delivery_per_post",
            ),
            models.UniqueConstraint(
                fields=["digest", "subscriber"],
                condition=Q(digest__isnull=False),
                name="one_delivery_per_digest",
            ),
            models.CheckConstraint(
                condition=Q(post__isnull=False, digest__isnull=True)
                | Q(post__isnull=True, digest__isnull=False),
                name="delivery_is_for_a_post_or_a_digest",
            ),
        ]
        indexes = [
            # Every claim and every mark writes a row, and each index on it
            # with it: these two hold only the rows in flight.
            models.Index(
                fields=["claimed_by"],
                condition=~Q(claimed_by=""),
                name="delivery_claim_idx",
            ),
            # The claim takes owed rows in pk order; without this PostgreSQL
            # walks past every sent row first, so each batch of a large
            # mailing would be slower than the one before.
            models.Index(
                fields=["id"],
                condition=Q(status__in=["queued", "sending"]),
                name="delivery_owed_idx",
            ),
        ]

    def __str__(self):
        return f"{self.post or self.digest} → subscriber #{self.subscriber_id}"
