"""The staff insight page and its CSV export, mounted under /admin/insights/.

Wrapped by ``admin.site.admin_view`` in ``insights/urls.py`` (staff login,
no caching); staff who may view leads or posts may see it, others get a 403.
"""

import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from blog.models import Post
from insights import figures
from leads.exports import csv_response
from staff.mfa import recent_second_factor_required

VIEW_PERMISSIONS = ("leads.view_lead", "leads.change_lead", "blog.view_post")


def check_permission(user):
    if not any(user.has_perm(permission) for permission in VIEW_PERMISSIONS):
        raise PermissionDenied


def chosen_days(request):
    """7, 30 or 90 from ?days=; anything else is the 30-day default."""
    value = request.GET.get("days", "")
    return int(value) if value in {str(days) for days in figures.PERIODS} else 30


@require_GET
def insights_view(request):
    check_permission(request.user)
    context = {
        **admin.site.each_context(request),
        "title": "Insights: posts, views and consultations",
        **figures.figures(chosen_days(request)),
    }
    return TemplateResponse(request, "admin/insights/index.html", context)


@require_GET
@recent_second_factor_required
def export_view(request):
    check_permission(request.user)
    days = chosen_days(request)
    today = timezone.localdate()
    since = today - datetime.timedelta(days=days - 1)
    rows = figures.daily_rows(since, today)
    titles = dict(
        Post.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "title")
    )
    header = [
        "Day",
        "Post",
        "Views",
        "Consultation requests",
        "Newsletter sign-ups",
        "Conversion rate",
    ]
    lines = (
        [
            day.isoformat(),
            titles.get(post, f"Post {post}"),
            views,
            requests,
            signups,
            f"{requests / views:.4f}" if views else "",
        ]
        for day, post, views, requests, signups in rows
    )
    return csv_response(f"insights-{since}-to-{today}.csv", header, lines)
