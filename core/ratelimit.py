"""Per-IP rate limits for the public forms, shared by every process.

Counts live in the database (RateLimitCounter) and are raised with an atomic
``UPDATE ... SET hits = hits + 1``, so several gunicorn workers and servers
agree on them, and concurrent requests cannot slip through between a read
and a write. Windows are fixed: "5/10m" allows five posts in each ten-minute
window.
"""

import functools
import hashlib
import hmac
import re
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.shortcuts import render

from core.http import client_ip
from core.models import RateLimitCounter

PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/10m" → (5, 600): how many requests in how many seconds."""
    match = re.fullmatch(r"([1-9]\d*)/([1-9]\d*)?([smhd])", rate.strip())
    if not match:
        raise ValueError(f"Invalid rate {rate!r}; expected something like 5/10m")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * PERIOD_SECONDS[unit]


def client_key(ip: str) -> str:
    """A keyed hash of the address, so the table never holds a plain IP."""
    digest = hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def hit(scope: str, ip: str, rate: str) -> tuple[bool, int]:
    """Count one request; return (allowed, seconds until the window resets)."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = f"{scope}:{client_key(ip)}:{window}"
    expires_at = datetime.fromtimestamp((window + 1) * period, tz=UTC)
    retry_after = max(1, int((window + 1) * period - now))
    counters = RateLimitCounter.objects.filter(key=key)
    with transaction.atomic():
        if not counters.update(hits=F("hits") + 1):
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(
                        key=key, hits=1, expires_at=expires_at
                    )
            except IntegrityError:
                # Another process created this window's row first.
                counters.update(hits=F("hits") + 1)
            else:
                RateLimitCounter.objects.filter(
                    expires_at__lt=datetime.fromtimestamp(now, tz=UTC)
                ).delete()
        hits = counters.values_list("hits", flat=True).get()
    return hits <= limit, retry_after


def rate_limit(scope: str, setting: str):
    """Answer POSTs beyond the rate in ``settings.<setting>`` with the 429 page."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST" and settings.LEADS_RATE_LIMITS_ENABLED:
                allowed, retry_after = hit(
                    scope, client_ip(request), getattr(settings, setting)
                )
                if not allowed:
                    response = render(
                        request,
                        "429.html",
                        {"retry_minutes": -(-retry_after // 60)},
                        status=429,
                    )
                    response["Retry-After"] = str(retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
