from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from care.models import (
    FaqGroup,
    Location,
    Question,
    Treatment,
    faq_structured_data,
)
from core.models import ClinicProfile
from core.structured_data import json_ld


class LocationListView(ListView):
    queryset = Location.objects.offered()
    context_object_name = "locations"


@require_safe
def location_detail(request, slug):
    location = get_object_or_404(Location.objects.offered(), slug=slug)
    treatments = location.treatments.published()
    data = location.structured_data(settings.SITE_URL, ClinicProfile.current())
    return render(
        request,
        "care/location_detail.html",
        {"location": location, "treatments": treatments, "json_ld": json_ld(data)},
    )


class TreatmentListView(ListView):
    queryset = Treatment.objects.published()
    context_object_name = "treatments"


@require_safe
def treatment_detail(request, slug):
    treatment = get_object_or_404(Treatment.objects.published(), slug=slug)
    locations = list(treatment.locations.offered())
    data = treatment.structured_data(
        settings.SITE_URL, ClinicProfile.current(), locations
    )
    return render(
        request,
        "care/treatment_detail.html",
        {
            "treatment": treatment,
            "locations": locations,
            "questions": treatment.faq_questions.published(),
            "json_ld": json_ld(data),
        },
    )


@require_safe
def faq(request):
    published = Question.objects.published()
    groups = FaqGroup.objects.filter(questions__in=published).distinct()
    groups = groups.prefetch_related(
        Prefetch("questions", queryset=published, to_attr="published_questions")
    )
    questions = [q for group in groups for q in group.published_questions]
    return render(
        request,
        "care/faq.html",
        {"groups": groups, "json_ld": json_ld(faq_structured_data(questions))},
    )
