from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from blog.models import Post
from clinic_site.models import ClinicProfile
from clinic_site.structured_data import json_ld

TREATED_CONDITIONS = [
    (
        "Depression",
        "Including depression that has not improved after several medications.",
    ),
    ("Anxiety", "Persistent worry and panic that get in the way of daily life."),
    (
        "PTSD",
        "Trauma symptoms such as intrusive memories, hypervigilance and numbness.",
    ),
    (
        "Chronic pain",
        "Nerve pain and pain syndromes that have resisted other approaches.",
    ),
    ("Substance use", "Support alongside a recovery plan and your existing care team."),
]


@require_safe
def home(request):
    latest_posts = Post.objects.published().select_related("author")[:3]
    clinic_json = json_ld(ClinicProfile.current().structured_data(settings.SITE_URL))
    return render(
        request,
        "home.html",
        {
            "latest_posts": latest_posts,
            "conditions": TREATED_CONDITIONS,
            "clinic_json": clinic_json,
        },
    )


@require_safe
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_safe
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /contact/thanks/",
        "Disallow: /subscribe/",
        "Disallow: /unsubscribe/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
