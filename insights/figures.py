"""Counts by post and by day for the staff insight page, nothing per person.

Views come from the pre-aggregated ``blog.PostDailyViews`` rows the view
beacon adds to; consultation requests and sign-ups from the lead's and the
subscriber's ``source_post``. Every figure is one grouped query, so the
page costs the same handful of queries at 1,000 posts × 365 days as at one.
"""

import datetime
from urllib.parse import urlsplit

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from blog.models import Post, PostDailyViews
from leads.dashboard import stacked_bar_chart, week_start
from leads.models import Lead, Subscriber

PERIODS = (7, 30, 90)
TOP_POSTS = 50
WEEKS = 12


def conversion(requests, views):
    """Consultation requests per view, as a share (None without views)."""
    return requests / views if views else None


def with_conversion(row):
    """``row`` with its conversion rate, and that rate as text ("1.5%")."""
    rate = conversion(row["requests"], row["views"])
    row["conversion"] = rate
    row["conversion_display"] = f"{rate:.1%}" if rate is not None else "—"
    return row


def _leads():
    return Lead.objects.not_spam()


def _by_day_and_post(queryset, since, date_field, post_field="source_post"):
    """{(day, post id): count} for rows since ``since`` that name a post."""
    rows = (
        queryset.filter(**{f"{date_field}__date__gte": since})
        .exclude(**{f"{post_field}__isnull": True})
        .annotate(day=TruncDate(date_field))
        .values("day", post_field)
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {(row["day"], row[post_field]): row["count"] for row in rows}


def daily_rows(since, until):
    """(day, post id, views, requests, sign-ups) for every day and post with
    any count, oldest first: what the CSV export writes."""
    views = {
        (row["day"], row["post"]): row["views"]
        for row in PostDailyViews.objects.filter(day__gte=since, day__lte=until)
        .values("day", "post", "views")
        .order_by()
    }
    requests = _by_day_and_post(_leads(), since, "created_at")
    signups = _by_day_and_post(Subscriber.objects.all(), since, "created_at")
    keys = sorted(
        {key for key in (*views, *requests, *signups) if key[0] <= until},
        key=lambda key: (key[0], key[1]),
    )
    return [
        (
            day,
            post,
            views.get((day, post), 0),
            requests.get((day, post), 0),
            signups.get((day, post), 0),
        )
        for day, post in keys
    ]


def per_post(since, limit=TOP_POSTS):
    """The posts with most views (then requests) since ``since``, with counts."""
    views = dict(
        PostDailyViews.objects.filter(day__gte=since)
        .values("post")
        .annotate(total=Sum("views"))
        .order_by()
        .values_list("post", "total")
    )
    requests = _post_counts(_leads(), since)
    signups = _post_counts(Subscriber.objects.all(), since)
    ids = sorted(
        {*views, *requests, *signups},
        key=lambda pk: (-views.get(pk, 0), -requests.get(pk, 0), pk),
    )[:limit]
    titles = dict(Post.objects.filter(pk__in=ids).values_list("pk", "title"))
    return [
        with_conversion(
            {
                "post_id": pk,
                "title": titles.get(pk, f"Post {pk}"),
                "views": views.get(pk, 0),
                "requests": requests.get(pk, 0),
                "signups": signups.get(pk, 0),
            }
        )
        for pk in ids
    ]


def _post_counts(queryset, since):
    return dict(
        queryset.filter(created_at__date__gte=since, source_post__isnull=False)
        .values("source_post")
        .annotate(total=Count("pk"))
        .order_by()
        .values_list("source_post", "total")
    )


def totals(today):
    """Views, requests, sign-ups and conversion for the last 7 / 30 / 90 days."""
    starts = {days: today - datetime.timedelta(days=days - 1) for days in PERIODS}
    oldest = starts[max(PERIODS)]
    views = PostDailyViews.objects.filter(day__gte=oldest).aggregate(
        **{f"d{d}": Sum("views", filter=Q(day__gte=s)) for d, s in starts.items()}
    )
    from_posts = Q(source_post__isnull=False)
    counts = {}
    for name, queryset in (("requests", _leads()), ("signups", Subscriber.objects)):
        counts[name] = queryset.filter(created_at__date__gte=oldest).aggregate(
            **{
                f"d{d}": Count("pk", filter=from_posts & Q(created_at__date__gte=s))
                for d, s in starts.items()
            }
        )
    return [
        with_conversion(
            {
                "days": days,
                "since": starts[days],
                "views": views[f"d{days}"] or 0,
                "requests": counts["requests"][f"d{days}"],
                "signups": counts["signups"][f"d{days}"],
            }
        )
        for days in PERIODS
    ]


def _domain(referrer):
    host = urlsplit(referrer if "//" in referrer else f"//{referrer}").hostname or ""
    return host.removeprefix("www.") or referrer


def sources(since):
    """Referrer domains and UTM campaigns of the consultation requests."""
    leads = _leads().filter(created_at__date__gte=since)
    domains = {}
    for row in (
        leads.exclude(referrer="").values("referrer").annotate(n=Count("pk")).order_by()
    ):
        domain = _domain(row["referrer"])
        domains[domain] = domains.get(domain, 0) + row["n"]
    campaigns = list(
        leads.exclude(utm_campaign="")
        .values("utm_campaign", "utm_source", "utm_medium")
        .annotate(count=Count("pk"))
        .order_by("-count", "utm_campaign")[:20]
    )
    return {
        "referrers": sorted(domains.items(), key=lambda item: (-item[1], item[0]))[:20],
        "campaigns": campaigns,
    }


def weekly_charts(today):
    """Views, and requests with sign-ups, per week for the last WEEKS weeks."""
    now = timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))
    first = week_start(week_start(now) - datetime.timedelta(weeks=WEEKS - 1)).date()
    mondays = [first + datetime.timedelta(weeks=n) for n in range(WEEKS)]

    def monday(day):
        return day - datetime.timedelta(days=day.weekday())

    views, actions = {}, {}
    for row in (
        PostDailyViews.objects.filter(day__gte=first)
        .values("day")
        .annotate(total=Sum("views"))
        .order_by()
    ):
        key = (monday(row["day"]), "views")
        views[key] = views.get(key, 0) + row["total"]
    for (day, _), count in _by_day_and_post(_leads(), first, "created_at").items():
        actions[(monday(day), "requests")] = (
            actions.get((monday(day), "requests"), 0) + count
        )
    for (day, _), count in _by_day_and_post(
        Subscriber.objects.all(), first, "created_at"
    ).items():
        actions[(monday(day), "signups")] = (
            actions.get((monday(day), "signups"), 0) + count
        )
    return {
        "views_chart": stacked_bar_chart(
            mondays, views, [("views", "post views", "#0d6efd")]
        ),
        "actions_chart": stacked_bar_chart(
            mondays,
            actions,
            [
                ("requests", "consultation requests", "#198754"),
                ("signups", "newsletter sign-ups", "#6f42c1"),
            ],
        ),
    }


def figures(days=30, today=None):
    """Everything the insight page shows for the last ``days`` days."""
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=days - 1)
    return {
        "days": days,
        "since": since,
        "periods": PERIODS,
        "totals": totals(today),
        "posts": per_post(since),
        "top_posts": TOP_POSTS,
        **sources(since),
        **weekly_charts(today),
    }
