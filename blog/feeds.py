from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from blog.models import Post


class LatestPostsFeed(Feed):
    title = "Blog"
    link = "/blog/"
    description = "New articles."

    def items(self):
        return Post.objects.published()[:20]

    def item_description(self, item):
        return item.summary


class LatestPostsAtomFeed(LatestPostsFeed):
    feed_type = Atom1Feed
    subtitle = LatestPostsFeed.description
