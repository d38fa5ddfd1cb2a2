"""The newsletter's emails: one post, or a week's digest, for one subscriber.

Built with the mail pipeline (``core.mail``): its templates, clinic context,
clean headers, one-click unsubscribe headers and fixed Message-IDs.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse

from blog.models import Post
from core import mail
from leads.models import Subscriber


def _tracked(url: str, campaign: str) -> str:
    query = urlencode(
        {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": campaign}
    )
    return f"{url}?{query}"


def post_context(post) -> dict:
    """What every copy of a post's email shares."""
    image = None
    if post.hero_image:
        image = {
            "url": mail.absolute_url(post.hero_image.url),
            "alt": post.hero_image_alt,
            "width": post.hero_image_width,
            "height": post.hero_image_height,
        }
    return {
        "post": post,
        "title": mail.clean_header(post.title),
        "summary": post.summary.strip(),
        "post_url": _tracked(mail.absolute_url(post.get_absolute_url()), post.slug),
        "image": image,
    }


def common_context() -> dict:
    return {
        **mail.clinic_context(),
        "blog_url": mail.absolute_url(reverse("blog:post_list")),
    }


def build_email(template, subject, context, *, to, unsubscribe_url):
    """An HTML and text email with the one-click unsubscribe headers."""
    return mail.build_email(
        f"newsletter/{template}",
        subject=subject,
        to=[to],
        shared=context,
        context={"email": to, "unsubscribe_url": unsubscribe_url},
        headers=mail.bulk_headers(unsubscribe_url),
    )


def build_post_email(post, subscriber, *, common=None, shared=None):
    context = {
        **(common or common_context()),
        **(shared or post_context(post)),
        "first_name": mail.clean_header(subscriber.first_name),
        "frequency": "every new post",
    }
    return build_email(
        "post",
        context["title"],
        context,
        to=subscriber.email,
        unsubscribe_url=subscriber.get_unsubscribe_url(),
    )


def build_digest_email(digest, posts, subscriber, *, common=None):
    common = common or common_context()
    week_end = digest.week_start + timedelta(days=6)
    context = {
        **common,
        "posts": [post_context(post) for post in posts],
        "week_start": digest.week_start,
        "week_end": week_end,
        "first_name": mail.clean_header(subscriber.first_name),
        "frequency": "a weekly digest",
    }
    subject = f"This week on the {common['clinic'].name} blog"
    return build_email(
        "digest",
        subject,
        context,
        to=subscriber.email,
        unsubscribe_url=subscriber.get_unsubscribe_url(),
    )


def delivery_message_id(delivery) -> str:
    """The same Message-ID every time a delivery is sent (see core.mail)."""
    return mail.message_id("newsletter-delivery", delivery.pk)


class MessageBuilder:
    """Builds each delivery's email, rendering what copies share only once."""

    def __init__(self):
        self.common = common_context()
        self.posts = {}
        self.digests = {}

    def build(self, delivery):
        message = self._build(delivery)
        if message is not None:
            message.extra_headers["Message-ID"] = delivery_message_id(delivery)
        return message

    def _build(self, delivery):
        if delivery.post_id:
            if delivery.post_id not in self.posts:
                post = Post.objects.defer("body", "body_html", "toc_html").get(
                    pk=delivery.post_id
                )
                self.posts[delivery.post_id] = (post, post_context(post))
            post, shared = self.posts[delivery.post_id]
            return build_post_email(
                post, delivery.subscriber, common=self.common, shared=shared
            )
        if delivery.digest_id not in self.digests:
            posts = list(
                delivery.digest.posts()
                .defer("body", "body_html", "toc_html")
                .order_by("published_at")
            )
            self.digests[delivery.digest_id] = posts
        posts = self.digests[delivery.digest_id]
        if not posts:
            return None
        return build_digest_email(
            delivery.digest, posts, delivery.subscriber, common=self.common
        )


def send_test_email(post_id: int, email: str, first_name: str = "") -> str:
    """Email a post, as subscribers will see it, to a member of staff."""
    post = Post.objects.get(pk=post_id)
    stand_in = Subscriber(pk=0, email=email, first_name=first_name)
    message = build_post_email(post, stand_in)
    message.subject = f"[Test] {message.subject}"
    return mail.send(message).outcome
