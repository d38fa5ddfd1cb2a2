from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from selfcheck.forms import SelfCheckForm
from selfcheck.instruments import CHOICES, CREDIT, TIME_FRAME
from selfcheck.results import result_from_form

# A private page sets no cookie, so it leaves out the footer's sign-up form
# (and its CSRF token).
PAGE = {"credit": CREDIT, "private_page": True}


@require_safe
def questionnaire(request):
    check = request.GET.get("check", "")
    if check not in CHOICES:
        return render(request, "selfcheck/start.html", PAGE)
    return render_questionnaire(request, SelfCheckForm(check=check))


# Scoring changes nothing on the server, so the form needs no CSRF token, and
# without one the page sets no cookie. The answers are never stored or logged.
@csrf_exempt
@sensitive_post_parameters()
@never_cache
@require_POST
def result(request):
    check = request.POST.get("check", "")
    if check not in CHOICES:
        return render(request, "selfcheck/start.html", PAGE, status=400)
    form = SelfCheckForm(request.POST, check=check)
    if not form.is_valid():
        return render_questionnaire(request, form)
    return render(
        request,
        "selfcheck/result.html",
        {**PAGE, "result": result_from_form(form)},
    )


def render_questionnaire(request, form):
    context = {**PAGE, "form": form, "time_frame": TIME_FRAME}
    return render(request, "selfcheck/questionnaire.html", context)
