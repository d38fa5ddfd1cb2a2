"""Staff pages of their own, outside any model's admin: the leads dashboard
and the personal-data tool for access and erasure requests.

Each view is wrapped by ``admin.site.admin_view`` in ``leads/staff_urls.py``
(staff login, no caching, the admin's CSRF handling) and checks its own
permission here; pages render in the admin's look with its context.
"""

import json
import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from leads import dashboard, privacy
from leads.models import Lead, LeadAccess
from staff.mfa import recent_second_factor_required

logger = logging.getLogger(__name__)


class PersonalDataForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    confirm = forms.BooleanField(
        label="I understand that erasing cannot be undone.", required=False
    )


def staff_context(request, title):
    """What every admin page expects: site header, sidebar, the lead's opts."""
    return {
        **admin.site.each_context(request),
        "title": title,
        "opts": Lead._meta,
    }


@require_GET
def dashboard_view(request):
    # As for the lead list: viewing or changing leads lets you see them.
    if not request.user.has_perm("leads.view_lead") and not request.user.has_perm(
        "leads.change_lead"
    ):
        raise PermissionDenied
    context = {**staff_context(request, "Leads dashboard"), **dashboard.figures()}
    return TemplateResponse(request, "admin/leads/lead/dashboard.html", context)


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("email")
@recent_second_factor_required
def personal_data_view(request):
    """Find, download or erase everything stored for one email address.

    The address travels only in POST bodies, never in a URL.
    """
    if not privacy.can_view(request.user):
        raise PermissionDenied
    form = PersonalDataForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return personal_data_page(request, form)
    email = form.cleaned_data["email"]
    if request.POST.get("do") == "export":
        return _personal_data_download(request, email)
    if request.POST.get("do") == "erase":
        if not privacy.can_erase(request.user):
            raise PermissionDenied
        if form.cleaned_data["confirm"]:
            done = privacy.erase(email)
            logger.info("Personal data erased by user %s: %s", request.user.pk, done)
            messages.success(
                request,
                "Erased: {leads} lead(s) anonymized, {notes} note(s), "
                "{subscribers} subscription(s) and {comments} comment(s) "
                "deleted.".format(**done),
            )
            return redirect("leads_staff:personal_data")
        form.add_error("confirm", "Tick the box to confirm the erasure.")
    return personal_data_page(request, form, find_and_record(request, email))


def find_and_record(request, email):
    """``privacy.find``, leaving a trace on every lead it shows."""
    found = privacy.find(email)
    LeadAccess.objects.record(
        request.user, LeadAccess.Kind.PRIVACY, [lead.pk for lead in found["leads"]]
    )
    return found


def personal_data_page(request, form, found=None):
    """The tool's page; the lead list's action opens it with an address filled in."""
    context = {
        **staff_context(request, "Personal data for one email address"),
        "form": form,
        "found": found,
        "can_erase": privacy.can_erase(request.user),
    }
    return TemplateResponse(request, "admin/leads/lead/privacy.html", context)


def _personal_data_download(request, email):
    lead_ids = Lead.objects.for_email(email).values_list("pk", flat=True)
    LeadAccess.objects.record(request.user, LeadAccess.Kind.PRIVACY, lead_ids)
    body = json.dumps(privacy.export(email), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    response["Cache-Control"] = "no-store"
    return response
