from django.db import models


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

    email = models.EmailField(max_length=254, unique=True)
    first_name = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    frequency = models.CharField(
        max_length=20, choices=Frequency.choices, default=Frequency.EVERY_POST
    )
    consent_text = models.TextField(blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    source_path = models.CharField("signed up from page", max_length=500, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.email
