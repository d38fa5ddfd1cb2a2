from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from blog.models import Post, Topic
from core.models import ClinicProfile

FEED_LENGTH = 20


def absolute(path):
    """Links in feeds come from SITE_URL, never from the request's host."""
    return settings.SITE_URL + path


class LatestPostsFeed(Feed):
    """RSS 2.0: the latest public posts."""

    language = "en"

    def title(self):
        return f"{ClinicProfile.current().name} blog"

    def description(self):
        return ClinicProfile.current().tagline or "New articles from the clinic."

    def link(self):
        return absolute(reverse("blog:post_list"))

    def feed_url(self):
        return absolute(reverse("blog:feed"))

    def items(self):
        return Post.objects.published().for_listing()[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return absolute(item.get_absolute_url())

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author.display_name

    def item_author_link(self, item):
        return absolute(item.author.get_absolute_url())

    def item_categories(self, item):
        return [topic.name for topic in item.topics.all()]


class LatestPostsAtomFeed(LatestPostsFeed):
    """Atom 1.0: the same posts as the RSS feed."""

    feed_type = Atom1Feed

    def subtitle(self):
        return self.description()

    def feed_url(self):
        return absolute(reverse("blog:feed_atom"))


class TopicFeed(LatestPostsFeed):
    """RSS 2.0: the latest public posts on one topic."""

    def get_object(self, request, slug):
        return get_object_or_404(Topic, slug=slug)

    def title(self, topic):
        return f"{ClinicProfile.current().name} blog: {topic.name}"

    def description(self, topic):
        return topic.description or f"New articles about {topic.name.lower()}."

    def link(self, topic):
        return absolute(topic.get_absolute_url())

    def feed_url(self, topic):
        return absolute(reverse("blog:topic_feed", args=[topic.slug]))

    def items(self, topic):
        return Post.objects.published().filter(topics=topic).for_listing()[:FEED_LENGTH]
