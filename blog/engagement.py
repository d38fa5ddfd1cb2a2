"""Likes, views and flood limits, kept free of personal data.

Views: the post page loads ``static/js/blog.js``, which sends one same-origin
``navigator.sendBeacon`` POST to ``blog:post_view``. Counting in a beacon
instead of in the page view keeps the page itself cacheable and skips most
bots (they rarely run JavaScript); user agents that call themselves bots are
ignored as well. To count a reader once a day without cookies and without
storing addresses, the view handler hashes (post, client IP, user agent) with
a random salt that lives only in the shared cache and is replaced every day;
the hash is kept in the cache until the next day and then forgotten. Nothing
in the database can be traced back to a reader.
A counted view adds one to the post's total and to its row for the day
(``blog.models.PostDailyViews``), which the staff insight pages read.

Likes: one per browser, remembered in a signed cookie listing the liked post
ids (a like is something the reader chooses to do, so a functional cookie is
fine). Likes and comments are public forms: rate limited and bot-trapped by
``core.protections`` like every other.
"""

import hashlib
import re
import secrets

from django.core.cache import caches
from django.core.signing import BadSignature
from django.utils import timezone

from core.http import client_ip

LIKES_COOKIE = "blog_likes"
LIKES_COOKIE_SALT = "blog.likes"
LIKES_COOKIE_MAX_IDS = 300
LIKES_COOKIE_MAX_AGE = 365 * 24 * 3600
BOT_USER_AGENT = re.compile(
    r"bot|crawl|spider|slurp|fetch|preview|scan|monitor|curl|wget|python|"
    r"headless|lighthouse|facebookexternalhit|embedly|httpclient|java/|go-http",
    re.IGNORECASE,
)


def _hash(*parts):
    data = "\x1f".join(str(part) for part in parts).encode()
    return hashlib.sha256(data).hexdigest()[:40]


def is_bot(request):
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    return not user_agent or bool(BOT_USER_AGENT.search(user_agent))


def is_first_view_today(request, post):
    """True once a day per post and reader; see the module docstring."""
    cache = caches["default"]
    today = timezone.localdate().isoformat()
    salt = cache.get_or_set(f"blog:view-salt:{today}", secrets.token_hex(16), 2 * 86400)
    fingerprint = _hash(
        salt, post.pk, client_ip(request), request.META.get("HTTP_USER_AGENT", "")
    )
    return cache.add(f"blog:viewed:{today}:{fingerprint}", 1, 86400)


def liked_post_ids(request):
    try:
        value = request.get_signed_cookie(
            LIKES_COOKIE, default="", salt=LIKES_COOKIE_SALT
        )
    except BadSignature:
        return set()
    return {int(part) for part in value.split(",") if part.isdigit()}


def remember_like(request, response, post):
    liked = [str(pk) for pk in sorted(liked_post_ids(request) | {post.pk})]
    response.set_signed_cookie(
        LIKES_COOKIE,
        ",".join(liked[-LIKES_COOKIE_MAX_IDS:]),
        salt=LIKES_COOKIE_SALT,
        max_age=LIKES_COOKIE_MAX_AGE,
        path="/blog/",
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
