"""Per-client rate limits for the public forms, shared by every process.

Windows are fixed: "5/10m" allows five posts in each ten-minute window. The
client is a keyed hash of its address, never the address itself. Counts are
raised atomically, so several gunicorn workers and servers agree on them and
concurrent requests cannot slip through between a read and a write:

- in the database (``RateLimitCounter``) with ``UPDATE ... SET hits = hits
  + 1``, the default;
- in Redis with ``INCR`` and ``EXPIREAT`` in one ``MULTI`` block, when
  ``REDIS_URL`` is set: no database write per form post.
"""

import functools
import hashlib
import hmac
import re
import threading
import time
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.db import DatabaseError, IntegrityError, InterfaceError, transaction
from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import render

from core.http import client_ip
from core.models import RateLimitCounter

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE_PATTERN = re.compile(r"([1-9]\d*)/([1-9]\d*)?([smhd])")
REDIS_KEY_PREFIX = "ratelimit:"


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/10m" → (5, 600): how many requests in how many seconds."""
    match = RATE_PATTERN.fullmatch(rate.strip())
    if not match:
        raise ValueError(f"Invalid rate {rate!r}; expected something like 5/10m")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * PERIOD_SECONDS[unit]


def client_key(ip: str) -> str:
    """A keyed hash of the address, so no store ever holds a plain IP."""
    digest = hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def count_in_database(key: str, expires_at: float) -> int:
    """Raise the window's counter row by one and return its new value."""
    counters = RateLimitCounter.objects.filter(key=key)
    with transaction.atomic():
        if not counters.update(hits=F("hits") + 1):
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(
                        key=key,
                        hits=1,
                        expires_at=datetime.fromtimestamp(expires_at, tz=UTC),
                    )
            except IntegrityError:
                # Another process created this window's row first.
                counters.update(hits=F("hits") + 1)
            else:
                # A new window is rare enough to sweep the old ones then.
                RateLimitCounter.objects.filter(
                    expires_at__lt=datetime.now(tz=UTC)
                ).delete()
        return counters.values_list("hits", flat=True).get()


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One connection pool per process and URL."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def count_in_redis(key: str, expires_at: float) -> int:
    """INCR the window's key; Redis forgets it when the window ends."""
    pipeline = redis_client(settings.REDIS_URL).pipeline(transaction=True)
    pipeline.incr(REDIS_KEY_PREFIX + key)
    pipeline.expireat(REDIS_KEY_PREFIX + key, int(expires_at))
    hits, _ = pipeline.execute()
    return hits


def hit(scope: str, ip: str, rate: str) -> tuple[bool, int]:
    """Count one request; return (allowed, seconds until the window resets)."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = f"{scope}:{client_key(ip)}:{window}"
    expires_at = (window + 1) * period
    count = count_in_redis if settings.REDIS_URL else count_in_database
    try:
        hits = count(key, expires_at)
    except (DatabaseError, InterfaceError, redis.RedisError):
        # The shared store is down: fail open to this process's own count,
        # so the forms keep working and a flood still meets a limit.
        hits = count_in_process(key, expires_at)
    return hits <= limit, max(1, int(expires_at - now))


_process_counts: dict[str, tuple[int, float]] = {}
_process_lock = threading.Lock()


def count_in_process(key: str, expires_at: float) -> int:
    """This process's count for the window, used only while the store is down."""
    with _process_lock:
        now = time.time()
        for stale in [k for k, (_, end) in _process_counts.items() if end <= now]:
            del _process_counts[stale]
        hits = _process_counts.get(key, (0, expires_at))[0] + 1
        _process_counts[key] = (hits, expires_at)
        return hits


def too_many_requests(request, retry_after: int):
    """The one 429 answer: the page, or JSON for a script that asked for it."""
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse(
            {"error": "Too many requests. Please try again later."}, status=429
        )
    else:
        response = render(
            request,
            "429.html",
            {"retry_minutes": -(-retry_after // 60)},
            status=429,
        )
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(scope: str, setting: str):
    """Answer POSTs beyond the rate in ``settings.<setting>`` with the 429 page.

    The outermost check of a public form (see ``core.protections``).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST" and settings.PUBLIC_FORM_RATE_LIMITS_ENABLED:
                allowed, retry_after = hit(
                    scope, client_ip(request), getattr(settings, setting)
                )
                if not allowed:
                    return too_many_requests(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
