from django.db import models


class Delivery(models.Model):
    """One post owed to, or sent to, one subscriber."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    post = models.ForeignKey("blog.Post", on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        "leads.Subscriber", on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "subscriber"], name="one_delivery_per_post")
        ]

    def __str__(self):
        return f"{self.post} → {self.subscriber}"


class DigestRun(models.Model):
    """A weekly digest that was sent, so the same week is never sent twice."""

    week_start = models.DateField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Digest for the week of {self.week_start}"
