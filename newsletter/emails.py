"""The newsletter's emails: one post, or a week's digest, for one subscriber.

Built with the mail pipeline (``core.mail``): its clinic context, clean
headers, one-click unsubscribe headers and fixed Message-IDs. A batch
renders each mailing's templates once (``Prerendered``), with markers where
each reader's own details go, and fills them in per email: rendering twice
per email was most of the cost of a send.
"""

import email.policy
import re
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from blog.models import Post
from core import mail
from leads import tokens
from leads.models import Subscriber

PERSONAL = ("first_name", "email", "unsubscribe_url", "preferences_url")
# Bodies go out as plain 7bit/8bit text with lines up to SMTP's own limit
# (998), so markers are never split by an encoding's line breaks; a
# template line must leave room for the values put into it.
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)
WIRE_LONGEST_TEMPLATE_LINE = 600
# What HTML escaping changes: a value without these goes in as it is.
HTML_SPECIAL = re.compile(r"[&<>\"']")


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


def personal_values(subscriber, links=None) -> dict:
    """One reader's own details, as the templates show them."""
    links = links or ReaderLinks()
    return {
        "first_name": mail.clean_header(subscriber.first_name),
        "email": subscriber.email,
        "unsubscribe_url": links.unsubscribe_url(subscriber),
        "preferences_url": links.preferences_url(subscriber),
    }


class ReaderLinks:
    """``Subscriber.get_unsubscribe_url()`` and ``get_preferences_url()``,
    with each URL reversed once instead of once per email.

    Only the token differs between readers; a token of URL-safe characters
    (all of them, as made today) goes into the path as reverse() would put it.
    """

    def __init__(self):
        self.unsubscribe = _around_token("leads:unsubscribe")
        self.preferences = _around_token("leads:subscriber_preferences")

    def unsubscribe_url(self, subscriber) -> str:
        token = tokens.make_unsubscribe_token(subscriber)
        return _put_in(self.unsubscribe, token) or subscriber.get_unsubscribe_url()

    def preferences_url(self, subscriber) -> str:
        token = tokens.make_preferences_token(subscriber)
        return _put_in(self.preferences, token) or subscriber.get_preferences_url()


def _put_in(around: tuple[str, str], token: str) -> str | None:
    """The URL with ``token`` in its place, or None where reverse() must
    quote it."""
    if URL_SAFE_TOKEN.fullmatch(token):
        return around[0] + token + around[1]
    return None


URL_SAFE_TOKEN = re.compile(r"[\w.:-]+", re.ASCII)


def _around_token(name) -> tuple[str, str]:
    """The absolute URL of ``name`` before and after its one token argument."""
    placeholder = "token-placeholder"
    before, after = (settings.SITE_URL + reverse(name, args=[placeholder])).split(
        placeholder
    )
    return before, after


class Prerendered:
    """A mailing's text and HTML, rendered once, with a marker per reader's detail.

    The markers carry a random word, so no post text can forge one; values
    are HTML-escaped for the HTML part, as the template would have done.
    ``wire()`` goes one step further for SMTP: the whole message, serialised
    once, with the markers replaced in its bytes.
    """

    def __init__(self, template, subject, context, *, with_first_name=True):
        word = secrets.token_hex(8)
        self.markers = {name: f"{word}{name}" for name in PERSONAL}
        self.markers["email"] = f"{word}email@marker.invalid"
        if not with_first_name:
            self.markers["first_name"] = ""
        context = {**context, **self.markers}
        self.subject = mail.clean_header(subject)
        self.text = render_to_string(f"newsletter/email/{template}.txt", context)
        self.html = render_to_string(f"newsletter/email/{template}.html", context)
        names = {marker: name for name, marker in self.markers.items() if marker}
        self.names = names
        self.pattern = re.compile("|".join(re.escape(marker) for marker in names))
        self.message_id_marker = f"<{word}message_id@marker.invalid>"
        self._wire = None

    def message(self, values: dict) -> EmailMultiAlternatives:
        escaped = {name: escape(value) for name, value in values.items()}
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.pattern.sub(lambda m: values[self.names[m[0]]], self.text),
            to=[values["email"]],
            headers={
                key: mail.clean_header(value)
                for key, value in mail.bulk_headers(values["unsubscribe_url"]).items()
            },
        )
        message.attach_alternative(
            self.pattern.sub(lambda m: escaped[self.names[m[0]]], self.html),
            "text/html",
        )
        return message

    def wire(self, values: dict, message_id: str) -> bytes | None:
        """The message as SMTP bytes, or None where only ``message()`` is safe.

        Safe when every part went out as 7bit or 8bit text (markers intact, no
        transfer encoding to redo) and each value is plain ASCII that HTML
        escaping leaves alone (addresses, the links, most first names).
        """
        if self._wire is None:
            self._wire = self._split(self._serialise())
        if not self._wire or not all(
            value.isascii() and not HTML_SPECIAL.search(value)
            for value in values.values()
        ):
            return None
        values = {**values, "message_id": message_id}
        pieces = list(self._wire)
        for index in range(1, len(pieces), 2):  # every other piece is a marker
            pieces[index] = values[pieces[index]].encode()
        return b"".join(pieces)

    def _split(self, data: bytes | None) -> list:
        """The serialised message cut at its markers, each marker replaced by
        the name of its value: [bytes, name, bytes, name, ..., bytes]."""
        if data is None:
            return []
        names = {**self.names, self.message_id_marker: "message_id"}
        pattern = b"(" + b"|".join(re.escape(m.encode()) for m in names) + b")"
        pieces = re.split(pattern, data)
        for index in range(1, len(pieces), 2):
            pieces[index] = names[pieces[index].decode()]
        return pieces

    def _serialise(self) -> bytes | None:
        message = self.message(dict(self.markers))
        message.extra_headers["Message-ID"] = self.message_id_marker
        data = message.message(policy=WIRE_POLICY).as_bytes()
        encoded = (b"Content-Transfer-Encoding: base64", b"quoted-printable")
        if any(kind in data for kind in encoded):
            return None
        if self.message_id_marker.encode() not in data:
            return None
        longest = max(len(line) for line in data.split(b"\r\n"))
        if longest > WIRE_LONGEST_TEMPLATE_LINE:
            return None  # a reader's links could push a line past SMTP's 998
        return data


def prerender_post(post, common=None, shared=None, *, with_first_name=True):
    context = {
        **(common or common_context()),
        **(shared or post_context(post)),
        "frequency": "every new post",
    }
    return Prerendered(
        "post", context["title"], context, with_first_name=with_first_name
    )


def prerender_digest(digest, posts, common=None, *, with_first_name=True):
    common = common or common_context()
    context = {
        **common,
        "posts": [post_context(post) for post in posts],
        "week_start": digest.week_start,
        "week_end": digest.week_start + timedelta(days=6),
        "frequency": "a weekly digest",
    }
    subject = f"This week on the {common['clinic'].name} blog"
    return Prerendered("digest", subject, context, with_first_name=with_first_name)


def build_post_email(post, subscriber):
    values = personal_values(subscriber)
    return prerender_post(post, with_first_name=bool(values["first_name"])).message(
        values
    )


def delivery_message_id(delivery) -> str:
    """The same Message-ID every time a delivery is sent (see core.mail)."""
    return mail.message_id("newsletter-delivery", delivery.pk)


class MessageBuilder:
    """Builds each delivery's email from templates rendered once per batch."""

    def __init__(self):
        self.common = common_context()
        self.links = ReaderLinks()
        self.posts = {}
        self.digests = {}
        self.rendered = {}

    def build(self, delivery):
        message = self._build(delivery)
        if message is not None:
            message.extra_headers["Message-ID"] = delivery_message_id(delivery)
            # Providers (through anymail) echo these in their webhooks, so a
            # bounce or complaint finds its delivery.
            message.metadata = {"delivery": str(delivery.pk)}
            message.tags = ["newsletter"]
        return message

    def wire(self, delivery) -> bytes | None:
        """The delivery's email as SMTP bytes, when that shortcut is safe."""
        prerendered, values = self._prerendered(delivery)
        if prerendered is None:
            return None
        return prerendered.wire(values, delivery_message_id(delivery))

    def _build(self, delivery):
        prerendered, values = self._prerendered(delivery)
        return prerendered and prerendered.message(values)

    def _prerendered(self, delivery):
        values = personal_values(delivery.subscriber, self.links)
        named = bool(values["first_name"])
        if delivery.post_id:
            key = ("post", delivery.post_id, named)
            if key not in self.rendered:
                post, shared = self._post(delivery.post_id)
                self.rendered[key] = prerender_post(
                    post, self.common, shared, with_first_name=named
                )
            return self.rendered[key], values
        posts = self._digest_posts(delivery.digest)
        posts = [post for post in posts if self._follows(delivery.subscriber, post)]
        if not posts:
            return None, values
        key = ("digest", delivery.digest_id, tuple(p.pk for p in posts), named)
        if key not in self.rendered:
            self.rendered[key] = prerender_digest(
                delivery.digest, posts, self.common, with_first_name=named
            )
        return self.rendered[key], values

    def _post(self, post_id):
        if post_id not in self.posts:
            post = Post.objects.defer("body", "body_html", "toc_html").get(pk=post_id)
            self.posts[post_id] = (post, post_context(post))
        return self.posts[post_id]

    def _digest_posts(self, digest):
        if digest.pk not in self.digests:
            self.digests[digest.pk] = list(
                digest.posts()
                .defer("body", "body_html", "toc_html")
                .prefetch_related("topics")
                .order_by("published_at")
            )
        return self.digests[digest.pk]

    @staticmethod
    def _follows(subscriber, post) -> bool:
        return subscriber.follows([topic.pk for topic in post.topics.all()])


def send_test_email(post_id: int, email: str, first_name: str = "") -> str:
    """Email a post, as subscribers will see it, to a member of staff."""
    post = Post.objects.get(pk=post_id)
    stand_in = Subscriber(pk=0, email=email, first_name=first_name)
    message = build_post_email(post, stand_in)
    message.subject = f"[Test] {message.subject}"
    return mail.send(message).outcome
