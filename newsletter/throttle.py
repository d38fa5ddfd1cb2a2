"""NEWSLETTER_MAX_PER_SECOND and NEWSLETTER_MAX_PER_HOUR, across all workers.

New provider accounts start on low sending limits. Each email takes a slot
from the site's shared rate-limit store (``core.protections.ratelimit``: a
counter row per window in the database, or Redis when REDIS_URL is set), so
any number of worker processes together stay under both limits. Windows are
fixed: a second's slots free up when the next second starts, an hour's when
the next hour starts. A worker that finds the second full sleeps into the
next one; one that finds the hour full hands its batch back to the queue,
due when the hour ends. 0 (the default) means no limit.
"""

import time

from django.conf import settings

from core.protections.ratelimit import hit

SCOPE = "newsletter-send"
# Sleeping longer than this ties up a worker; hand the batch back instead.
LONGEST_SLEEP_SECONDS = 2


def limits() -> list[str]:
    rates = []
    if settings.NEWSLETTER_MAX_PER_SECOND:
        rates.append(f"{settings.NEWSLETTER_MAX_PER_SECOND}/s")
    if settings.NEWSLETTER_MAX_PER_HOUR:
        rates.append(f"{settings.NEWSLETTER_MAX_PER_HOUR}/h")
    return rates


def take_slot() -> float:
    """Take a slot for one email: 0 if it may go now, else seconds to wait.

    A refused attempt still counts in its window, so the shared count only
    ever errs towards sending fewer.
    """
    for rate in limits():
        allowed, _ = hit(SCOPE, "all-workers", rate)
        if not allowed:
            period = 1 if rate.endswith("/s") else 3600
            return period - (time.time() % period)
    return 0.0


def wait_for_slot() -> float:
    """Block until an email may go; 0, or the seconds left if that is too long."""
    while True:
        wait = take_slot()
        if not wait:
            return 0.0
        if wait > LONGEST_SLEEP_SECONDS:
            return wait
        time.sleep(wait)
