import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from leads import tokens


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(16)


def mask_email(email: str) -> str:
    """j•••@example.com: enough for its owner to recognise, no more."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}•••{at}{domain}"


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=Subscriber.Status.CONFIRMED)

    def owing_confirmation(self, since):
        """Pending sign-ups since ``since`` whose confirmation email has not
        gone out yet."""
        return self.filter(
            status=Subscriber.Status.PENDING,
            confirmation_sent_at__isnull=True,
            updated_at__gte=since,
        )

    def owing_welcome(self, since):
        """Confirmed since ``since`` and not welcomed yet."""
        return self.filter(
            status=Subscriber.Status.CONFIRMED,
            welcome_sent_at__isnull=True,
            confirmed_at__gte=since,
        )


class Subscriber(models.Model):
    """An email address signed up for blog updates."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"

    class Frequency(models.TextChoices):
        EVERY_POST = "every_post", "Every new post"
        WEEKLY = "weekly", "Weekly digest"

    class UnsubscribeReason(models.TextChoices):
        NONE = "", "—"
        LINK = "link", "Used the unsubscribe link"
        PREFERENCES = "preferences", "Chose it on the preferences page"
        COMPLAINT = "complaint", "Reported an email as spam"
        STAFF = "staff", "Unsubscribed by staff"

    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    frequency = models.CharField(
        max_length=20, choices=Frequency.choices, default=Frequency.EVERY_POST
    )
    follows_all_topics = models.BooleanField(
        default=True,
        help_text="Gets every post; otherwise only posts in the chosen topics.",
    )
    topics = models.ManyToManyField(
        "blog.Topic",
        blank=True,
        related_name="subscribers",
        help_text="The topics followed when not following every post.",
    )
    consent_text = models.TextField(blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    source_path = models.CharField("signed up from page", max_length=500, blank=True)
    source_post = models.ForeignKey(
        "blog.Post",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscribers",
        help_text="The blog post the sign-up form was on, if any.",
    )
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_reason = models.CharField(
        max_length=20,
        choices=UnsubscribeReason.choices,
        default=UnsubscribeReason.NONE,
        blank=True,
        help_text="Why the last unsubscribe happened.",
    )
    welcome_sent_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_token = models.CharField(
        max_length=64, unique=True, default=new_unsubscribe_token, editable=False
    )
    has_legacy_unsubscribe_link = models.BooleanField(
        default=False,
        editable=False,
        help_text=(
            "Signed up before unsubscribe links carried a random token: the "
            "older link in emails already sent keeps working."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.email

    @classmethod
    def from_unsubscribe_token(cls, token: str):
        """The subscriber an unsubscribe link was made for, or None."""
        found = cls.objects.filter(unsubscribe_token=token).first()
        legacy_pk = found is None and tokens.read_legacy_unsubscribe_token(token)
        if legacy_pk:
            found = cls.objects.filter(
                pk=legacy_pk, has_legacy_unsubscribe_link=True
            ).first()
        return found

    @property
    def masked_email(self):
        return mask_email(self.email)

    def get_confirm_url(self):
        """Absolute link for the double opt-in email; expires after 7 days."""
        path = reverse(
            "leads:subscribe_confirm", args=[tokens.make_confirm_token(self)]
        )
        return settings.SITE_URL + path

    def get_unsubscribe_url(self):
        """Absolute one-click opt-out link; it never expires."""
        path = reverse("leads:unsubscribe", args=[tokens.make_unsubscribe_token(self)])
        return settings.SITE_URL + path

    def get_preferences_url(self):
        """Absolute signed link to the preferences page; expires (see tokens)."""
        path = reverse(
            "leads:subscriber_preferences",
            args=[tokens.make_preferences_token(self)],
        )
        return settings.SITE_URL + path

    def follows(self, topic_ids) -> bool:
        """Whether a post in ``topic_ids`` is for this subscriber."""
        if self.follows_all_topics:
            return True
        return bool(set(topic_ids) & {topic.pk for topic in self.topics.all()})

    def confirm(self):
        """Confirm a pending sign-up; True if this call confirmed it.

        A conditional UPDATE, so a stale copy of the row can never undo an
        unsubscribe that happened meanwhile.
        """
        now = timezone.now()
        changed = Subscriber.objects.filter(
            pk=self.pk, status=self.Status.PENDING
        ).update(status=self.Status.CONFIRMED, confirmed_at=now, updated_at=now)
        self.refresh_from_db(fields=["status", "confirmed_at", "updated_at"])
        return bool(changed)

    def unsubscribe(self, reason=UnsubscribeReason.LINK):
        """Stop all mail to this address; True if this call changed anything."""
        now = timezone.now()
        changed = (
            Subscriber.objects.filter(pk=self.pk)
            .exclude(status=self.Status.UNSUBSCRIBED)
            .update(
                status=self.Status.UNSUBSCRIBED,
                unsubscribed_at=now,
                unsubscribe_reason=reason,
                updated_at=now,
            )
        )
        self.refresh_from_db(
            fields=["status", "unsubscribed_at", "unsubscribe_reason", "updated_at"]
        )
        return bool(changed)
