from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from blog.models.author import Author
from blog.models.comment import Comment
from blog.models.topic import Topic
from blog.rendering import render_markdown
from core.crisis import mentions_crisis
from core.images import (
    delete_renditions_on_commit,
    refresh_renditions,
    validate_image,
)
from core.page_cache import ChangesPublicPages

# Saving any of these fields decides again whether the crisis box shows.
CRISIS_INPUTS = {"crisis_box", "title", "summary", "body"}

# Paths under /blog/ that a post slug must not shadow.
RESERVED_SLUGS = {"feed", "topic", "author", "preview"}


def validate_post_slug(value):
    if value in RESERVED_SLUGS:
        raise ValidationError(
            f"“{value}” is used by the blog itself; pick another slug."
        )


class PostQuerySet(models.QuerySet):
    def published(self):
        """Posts the public may see: published or scheduled, and their time has come."""
        return self.filter(
            status__in=[Post.Status.PUBLISHED, Post.Status.SCHEDULED],
            published_at__lte=timezone.now(),
        )

    def with_comment_count(self):
        approved = (
            Comment.objects.approved()
            .filter(post=OuterRef("pk"))
            .order_by()
            .values("post")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return self.annotate(comment_count=Coalesce(Subquery(approved), Value(0)))

    def for_listing(self):
        """What list pages, feeds and cards show, without the heavy body columns."""
        return (
            self.select_related("author")
            .prefetch_related("topics")
            .defer("body", "body_html", "toc_html")
        )


class Post(ChangesPublicPages, models.Model):
    """An educational article on the clinic's blog."""

    class CrisisBox(models.TextChoices):
        AUTOMATIC = (
            "auto",
            "Automatic: when the post mentions suicide, self-harm or overdose",
        )
        ALWAYS = "always", "Always"
        NEVER = "never", "Never"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        validators=[validate_post_slug],
        help_text="The address of the post: /blog/<slug>/. Avoid changing it later.",
    )
    summary = models.TextField(
        max_length=500,
        blank=True,
        help_text="One or two sentences for lists, feeds and emails.",
    )
    body = models.TextField(
        help_text=(
            "Markdown: ## Heading, **bold**, *italic*, [link text](https://…), "
            "- list item, ![image description](/media/…)."
        )
    )
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="posts")
    reviewer = models.ForeignKey(
        Author,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_posts",
        verbose_name="medical reviewer",
    )
    last_reviewed = models.DateField(
        null=True,
        blank=True,
        help_text="When the medical reviewer last checked the post.",
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="posts")

    hero_image = models.ImageField(
        upload_to="blog/heroes/",
        blank=True,
        width_field="hero_image_width",
        height_field="hero_image_height",
        validators=[validate_image],
    )
    hero_image_renditions = models.JSONField(default=dict, blank=True, editable=False)
    hero_image_width = models.PositiveIntegerField(
        null=True, blank=True, editable=False
    )
    hero_image_height = models.PositiveIntegerField(
        null=True, blank=True, editable=False
    )
    hero_image_alt = models.CharField(
        "image description (alt text)",
        max_length=300,
        blank=True,
        help_text="Describe the picture for people who cannot see it. Required.",
    )
    hero_image_credit = models.CharField(
        "image credit",
        max_length=200,
        blank=True,
        help_text="Shown under the image, e.g. “Source: Illustration by the clinic”.",
    )

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(
        "publish time",
        null=True,
        blank=True,
        help_text=(
            "A scheduled post goes public by itself at this time. "
            "Left empty, publishing uses the current time."
        ),
    )
    notify_subscribers = models.BooleanField(
        "email subscribers",
        default=True,
        help_text="Send this post to newsletter subscribers when it goes public.",
    )

    seo_title = models.CharField(
        "title for search engines",
        max_length=70,
        blank=True,
        help_text="Optional. Replaces the title in the browser tab and search results.",
    )
    meta_description = models.CharField(
        max_length=300, blank=True, help_text="Optional. Defaults to the summary."
    )

    crisis_box = models.CharField(
        max_length=6,
        choices=CrisisBox.choices,
        default=CrisisBox.AUTOMATIC,
        help_text=(
            "A calm box at the top of the post with the 988 lifeline, 911 and the "
            "clinic phone (its wording is in the clinic profile). Automatic shows "
            "it when the title, summary or text mention suicide, self-harm or "
            "overdose; choose Always for any other post where readers may be "
            "struggling."
        ),
    )

    body_html = models.TextField(editable=False, blank=True)
    toc_html = models.TextField(editable=False, blank=True)
    reading_minutes = models.PositiveSmallIntegerField(editable=False, default=1)
    shows_crisis_box = models.BooleanField(
        "crisis box shown", editable=False, default=False
    )
    view_count = models.PositiveIntegerField("views", default=0, editable=False)
    like_count = models.PositiveIntegerField("likes", default=0, editable=False)
    import_checksum = models.CharField(max_length=64, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "published_at"])]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.status != self.Status.DRAFT and self.published_at is None:
            self.published_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "body" in update_fields:
            rendered = render_markdown(self.body)
            self.body_html = rendered.html
            self.toc_html = rendered.toc_html
            self.reading_minutes = rendered.reading_minutes
            if update_fields is not None:
                kwargs["update_fields"] = {
                    *update_fields,
                    "body_html",
                    "toc_html",
                    "reading_minutes",
                }
        refresh_renditions(self, "hero_image", kwargs)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or CRISIS_INPUTS & set(update_fields):
            self.shows_crisis_box = self.needs_crisis_box()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "shows_crisis_box"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:post_detail", args=[self.slug])

    def delete(self, *args, **kwargs):
        renditions = self.hero_image_renditions
        result = super().delete(*args, **kwargs)
        delete_renditions_on_commit(renditions)
        return result

    def needs_crisis_box(self):
        """Decided when the post is saved, so a page view only reads a flag."""
        if self.crisis_box == self.CrisisBox.ALWAYS:
            return True
        if self.crisis_box == self.CrisisBox.NEVER:
            return False
        return mentions_crisis(" ".join([self.title, self.summary, self.body]))

    def clean(self):
        if self.hero_image and not self.hero_image_alt.strip():
            raise ValidationError(
                {"hero_image_alt": "Describe the image for screen-reader users."}
            )
        if self.status == self.Status.SCHEDULED and self.published_at is None:
            raise ValidationError(
                {"published_at": "A scheduled post needs the time it goes public."}
            )

    @property
    def is_public(self):
        return (
            self.status in (self.Status.PUBLISHED, self.Status.SCHEDULED)
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def page_title(self):
        return self.seo_title or self.title

    @property
    def description(self):
        return self.meta_description or self.summary

    @property
    def was_updated(self):
        """Edited on a later day than it went public."""
        if not self.published_at or not self.updated_at:
            return False
        return timezone.localdate(self.updated_at) > timezone.localdate(
            self.published_at
        )

    def publish(self):
        """Make the post public now (or keep its earlier publish time)."""
        now = timezone.now()
        self.status = self.Status.PUBLISHED
        if self.published_at is None or self.published_at > now:
            self.published_at = now
        self.save(update_fields=["status", "published_at", "updated_at"])

    def unpublish(self):
        self.status = self.Status.DRAFT
        self.save(update_fields=["status", "updated_at"])

    def structured_data(self, site_url, clinic, topics=()):
        """schema.org MedicalWebPage (with reviewer), BlogPosting and breadcrumbs."""
        url = site_url + self.get_absolute_url()
        publisher = {
            "@type": "MedicalOrganization",
            "name": clinic.name,
            "url": site_url + "/",
        }
        if clinic.logo:
            publisher["logo"] = {
                "@type": "ImageObject",
                "url": site_url + clinic.logo.url,
            }
        article = {
            "@type": "BlogPosting",
            "@id": url + "#article",
            "headline": self.title[:110],
            "description": self.description,
            "datePublished": self.published_at.isoformat()
            if self.published_at
            else None,
            "dateModified": self.updated_at.isoformat() if self.updated_at else None,
            "author": self.author.structured_data(site_url),
            "publisher": publisher,
            "mainEntityOfPage": url,
            "wordCount": len(self.body.split()),
            "keywords": [topic.name for topic in topics],
            "inLanguage": "en",
        }
        if self.hero_image:
            article["image"] = site_url + self.hero_image.url
        page = {
            "@type": "MedicalWebPage",
            "@id": url,
            "url": url,
            "name": self.page_title,
            "description": self.description,
            "mainEntity": {"@id": url + "#article"},
            "breadcrumb": {"@id": url + "#breadcrumb"},
            "about": [{"@type": "Thing", "name": topic.name} for topic in topics],
        }
        if self.reviewer:
            page["reviewedBy"] = self.reviewer.structured_data(site_url)
        if self.last_reviewed:
            page["lastReviewed"] = self.last_reviewed.isoformat()
        crumbs = [
            ("Home", site_url + "/"),
            ("Blog", site_url + reverse("blog:post_list")),
        ]
        if topics:
            crumbs.append((topics[0].name, site_url + topics[0].get_absolute_url()))
        crumbs.append((self.title, url))
        breadcrumb = {
            "@type": "BreadcrumbList",
            "@id": url + "#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": i, "name": name, "item": link}
                for i, (name, link) in enumerate(crumbs, start=1)
            ],
        }
        return {"@context": "https://schema.org", "@graph": [page, article, breadcrumb]}


class Reference(ChangesPublicPages, models.Model):
    """A source cited by a post, listed under it."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="references")
    title = models.CharField(max_length=400)
    url = models.URLField("link", max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title
