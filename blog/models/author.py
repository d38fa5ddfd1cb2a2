from django.db import models
from django.urls import reverse

from core.images import (
    delete_renditions_on_commit,
    refresh_renditions,
    validate_image,
)
from core.page_cache import ChangesPublicPages

# The photo shows 80 and 96 CSS px wide: these cover both on 1x and 2x screens.
PHOTO_WIDTHS = (96, 192)


class Author(ChangesPublicPages, models.Model):
    """A person or team credited on posts, as writer or medical reviewer."""

    display_name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    job_title = models.CharField(
        "credentials or job title",
        max_length=200,
        blank=True,
        help_text="Shown next to the name, e.g. “Board-certified psychiatrist”.",
    )
    bio = models.TextField(
        blank=True, help_text="A short paragraph for the author box."
    )
    photo = models.ImageField(
        upload_to="blog/authors/",
        blank=True,
        width_field="photo_width",
        height_field="photo_height",
        validators=[validate_image],
        help_text="Shown as a circle: a square photo at least 192 px wide is sharpest.",
    )
    photo_renditions = models.JSONField(default=dict, blank=True, editable=False)
    photo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    photo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    is_team = models.BooleanField(
        "is a team or role",
        default=False,
        help_text="Tick for role-based bylines such as “Clinical Team”.",
    )

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        refresh_renditions(self, "photo", kwargs, PHOTO_WIDTHS)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:author_detail", args=[self.slug])

    def delete(self, *args, **kwargs):
        renditions = self.photo_renditions
        result = super().delete(*args, **kwargs)
        delete_renditions_on_commit(renditions)
        return result

    def structured_data(self, site_url):
        """schema.org Person or Organization for JSON-LD."""
        data = {
            "@type": "Organization" if self.is_team else "Person",
            "name": self.display_name,
            "url": site_url + self.get_absolute_url(),
        }
        if self.job_title:
            data["jobTitle" if not self.is_team else "description"] = self.job_title
        return data
