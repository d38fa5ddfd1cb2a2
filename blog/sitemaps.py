from blog.models import Post
from clinic_site.sitemaps import SiteUrlSitemap


class PostSitemap(SiteUrlSitemap):
    changefreq = "weekly"

    def items(self):
        return Post.objects.published()

    def lastmod(self, post):
        return post.updated_at


class TopicSitemap(SiteUrlSitemap):
    def items(self):
        return []
