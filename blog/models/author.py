from django.db import models
from django.urls import reverse


class Author(models.Model):
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
    )
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

    def get_absolute_url(self):
        return reverse("blog:author_detail", args=[self.slug])

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
