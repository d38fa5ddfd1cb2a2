from django.conf import settings
from django.db import models

from core.page_cache import ChangesPublicPages


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)


class Comment(ChangesPublicPages, models.Model):
    """A reader's comment on a post, shown only after staff approve it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting moderation"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        JUNK = "junk", "Junk"

    post = models.ForeignKey(
        "blog.Post", on_delete=models.CASCADE, related_name="comments"
    )
    name = models.CharField(max_length=80)
    email = models.EmailField(max_length=254, blank=True, help_text="Never published.")
    body = models.TextField("comment", max_length=3000)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reply = models.TextField(
        "reply from the clinic",
        blank=True,
        max_length=3000,
        help_text="Published under the comment, signed with the clinic's name.",
    )
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    replied_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.name} on {self.post}"

    def get_absolute_url(self):
        return f"{self.post.get_absolute_url()}#comment-{self.pk}"

    @property
    def is_approved(self):
        return self.status == self.Status.APPROVED

    def moderate(self, status):
        self.status = status
        self.save(update_fields=["status"])
