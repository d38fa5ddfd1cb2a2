from django.db.models import OuterRef, Subquery

from blog.models import Post, Topic
from core.sitemaps import SiteUrlSitemap


class PostSitemap(SiteUrlSitemap):
    changefreq = "weekly"
    priority = 0.7

    def items(self):
        return Post.objects.published().only("slug", "updated_at").order_by("-pk")

    def lastmod(self, post):
        return post.updated_at


class TopicSitemap(SiteUrlSitemap):
    """Topics with at least one public post, dated by their newest post."""

    changefreq = "weekly"
    priority = 0.5

    def items(self):
        newest = (
            Post.objects.published()
            .filter(topics=OuterRef("pk"))
            .order_by("-updated_at")
            .values("updated_at")[:1]
        )
        return (
            Topic.objects.annotate(last_modified=Subquery(newest))
            .filter(last_modified__isnull=False)
            .order_by("name")
        )

    def lastmod(self, topic):
        return topic.last_modified
