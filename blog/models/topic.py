from django.db import models
from django.urls import reverse

from core.page_cache import ChangesPublicPages


class Topic(ChangesPublicPages, models.Model):
    """A subject that groups posts, such as Depression or Chronic pain."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(
        blank=True, help_text="One or two sentences shown at the top of the topic page."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("blog:topic_detail", args=[self.slug])
