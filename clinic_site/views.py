from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe

from blog.models import Post
from core.models import ClinicProfile
from core.structured_data import json_ld

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
