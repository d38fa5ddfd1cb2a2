"""Scheduled posts go live on the cached pages at their time.

A post whose ``published_at`` is in the future becomes public without
anything being saved, so nothing calls ``core.page_cache.bump``. This
periodic job (``settings.PERIODIC_JOBS``, every tick) does: when a post's
time has passed since the last run, every cached page is made stale.
"""

from django.core.cache import caches
from django.utils import timezone

from blog.models import Post
from core.page_cache import bump_now

LAST_RUN_KEY = "blog.scheduling.last-run"


def refresh_pages_for_due_posts(now=None) -> int:
    """Make the cached pages stale if a post went live since the last run."""
    now = now or timezone.now()
    store = caches["default"]
    last_run = store.get(LAST_RUN_KEY)
    store.set(LAST_RUN_KEY, now, timeout=None)
    if last_run is None:
        bump_now()
        return 0
    due = (
        Post.objects.published()
        .filter(published_at__gt=last_run, published_at__lte=now)
        .count()
    )
    if due:
        bump_now()
    return due
