"""Figures and server-drawn SVG charts for the staff leads dashboard.

Every figure comes from a fixed handful of queries, whatever the number of
leads; the charts are plain shapes computed here and drawn by the template,
so the page needs no script and no other host.
"""

import datetime
import statistics

from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone

from leads.models import Lead
from leads.models.lead import SourceKind

WEEKS = 12

STATUS_COLORS = {
    Lead.Status.NEW: "#0d6efd",
    Lead.Status.CONTACTED: "#6f42c1",
    Lead.Status.SCHEDULED: "#fd7e14",
    Lead.Status.BECAME_PATIENT: "#198754",
    Lead.Status.NOT_A_FIT: "#6c757d",
    Lead.Status.NO_RESPONSE: "#adb5bd",
    Lead.Status.ARCHIVED: "#dee2e6",
}
SOURCE_COLORS = {
    SourceKind.CAMPAIGN: "#d63384",
    SourceKind.POST: "#0d6efd",
    SourceKind.PAGE: "#20c997",
}


def week_start(moment):
    """Monday 00:00, in the clinic's time zone, of the week holding ``moment``."""
    day = timezone.localtime(moment).date()
    monday = day - datetime.timedelta(days=day.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))


def _weekly_counts(queryset, field, since):
    """{(monday, value): count} for leads received since ``since``."""
    rows = (
        queryset.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("week", field)
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {
        (timezone.localtime(row["week"]).date(), row[field]): row["count"]
        for row in rows
    }


def figures(now=None):
    """Everything the dashboard shows, computed for ``now``."""
    now = now or timezone.now()
    this_week = week_start(now)
    since = week_start(this_week - datetime.timedelta(weeks=WEEKS - 1))
    mondays = [
        (since + datetime.timedelta(weeks=n, hours=12)).date() for n in range(WEEKS)
    ]
    leads = Lead.objects.not_spam()

    by_status = _weekly_counts(leads, "status", since)
    by_source = _weekly_counts(leads.with_source_kind(), "source_kind", since)
    period_total = sum(by_status.values())
    patients = sum(
        count
        for (_, status), count in by_status.items()
        if status == Lead.Status.BECAME_PATIENT
    )
    contact_times = [
        contacted - received
        for received, contacted in leads.filter(
            created_at__gte=since, first_contacted_at__isnull=False
        ).values_list("created_at", "first_contacted_at")
    ]
    top_posts = list(
        leads.filter(created_at__gte=since, source_post__isnull=False)
        .values("source_post", "source_post__title")
        .annotate(count=Count("pk"))
        .order_by("-count", "source_post__title")[:5]
    )
    median = statistics.median(contact_times) if contact_times else None
    share = patients / period_total if period_total else None
    return {
        "since": since,
        "weeks": WEEKS,
        "new_this_week": leads.filter(created_at__gte=this_week).count(),
        "overdue_now": Lead.objects.overdue(now).count(),
        "urgent_open": Lead.objects.open().urgent().count(),
        "spam_in_period": Lead.objects.filter(
            status=Lead.Status.SPAM, created_at__gte=since
        ).count(),
        "period_total": period_total,
        "median_time_to_first_contact": median,
        "median_time_to_first_contact_display": (
            format_duration(median) if median is not None else "No lead contacted yet"
        ),
        "patient_share": share,
        "patient_share_display": (
            f"{share:.0%} ({patients} of {period_total})" if share is not None else "—"
        ),
        "patients": patients,
        "top_posts": top_posts,
        "status_chart": stacked_bar_chart(
            mondays,
            by_status,
            [(s, Lead.Status(s).label, c) for s, c in STATUS_COLORS.items()],
        ),
        "source_chart": stacked_bar_chart(
            mondays,
            by_source,
            [(s, SourceKind(s).label, c) for s, c in SOURCE_COLORS.items()],
        ),
    }


def format_duration(elapsed):
    """ "3 h 05 min", or "2 d 4 h" beyond a day."""
    minutes = int(elapsed.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes:02d} min"


def stacked_bar_chart(mondays, counts, series, width=720, height=240):
    """Geometry for one stacked bar per week, for the SVG in the template.

    ``counts`` maps (monday, series key) to a number; ``series`` lists
    (key, label, colour) from the bottom of each bar up.
    """
    left, bottom, top = 36, 28, 12
    plot_height = height - bottom - top
    slot = (width - left) / len(mondays)
    totals = [sum(counts.get((m, key), 0) for key, _, _ in series) for m in mondays]
    scale_max = max(max(totals, default=0), 1)
    bars = []
    for index, monday in enumerate(mondays):
        x = left + index * slot + slot * 0.15
        y = top + plot_height
        segments = []
        for key, label, color in series:
            count = counts.get((monday, key), 0)
            if not count:
                continue
            h = plot_height * count / scale_max
            y -= h
            segments.append(
                {
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "width": round(slot * 0.7, 1),
                    "height": round(h, 1),
                    "color": color,
                    "title": f"Week of {monday:%b %-d}: {count} {label}",
                }
            )
        bars.append(
            {
                "monday": monday,
                "total": totals[index],
                "segments": segments,
                "label_x": round(x + slot * 0.35, 1),
                "by_series": [counts.get((monday, key), 0) for key, _, _ in series],
            }
        )
    return {
        "width": width,
        "height": height,
        "axis_x": left,
        "axis_y": top + plot_height,
        "axis_right": width,
        "label_y": height - 8,
        "max": scale_max,
        "max_y": top,
        "bars": bars,
        "series": [{"label": label, "color": color} for _, label, color in series],
    }
