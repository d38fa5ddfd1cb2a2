from django.conf import settings
from django.db import DatabaseError, InterfaceError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from blog.models import Post
from core.csrf import origin_protect
from core.protections import rate_limit
from leads import services, tasks, tokens
from leads.attribution import is_own_host, read_attribution, referrer_host_and_path
from leads.forms import (
    SELF_CHECK_INVALID,
    SUBSCRIBE_CONSENT_TEXT,
    ContactForm,
    SubscribeForm,
)
from leads.models import Lead, Subscriber
from leads.referral_forms import ReferralForm

# The thanks page puts crisis help first once, for a request that used
# crisis language; a signed cookie carries that across the redirect without
# the session table, which may be the part of the site that is down.
URGENT_COOKIE = "lead_urgent"
URGENT_COOKIE_SALT = "leads.contact.urgent"
URGENT_COOKIE_SECONDS = 600


def contact_initial(request) -> dict:
    """Which page sent the visitor to the form: a post's call to action or a
    page of this site."""
    slug = request.GET.get("post", "")[:200]
    try:
        post = Post.objects.published().filter(slug=slug).first() if slug else None
    except (DatabaseError, InterfaceError):  # the form still works in an outage
        post = None
    if post:
        return {"post": post.slug, "source_path": post.get_absolute_url()}
    host, path = referrer_host_and_path(request)
    return {"source_path": path} if host and is_own_host(host, request) else {}


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("contact", "LEADS_CONTACT_RATE")
def contact(request):
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_bot():
            return redirect("leads:contact_thanks")
        if form.is_valid():
            urgent = services.accept_lead(form.cleaned_data, read_attribution(request))
            response = redirect("leads:contact_thanks")
            if urgent:
                response.set_signed_cookie(
                    URGENT_COOKIE,
                    "1",
                    salt=URGENT_COOKIE_SALT,
                    max_age=URGENT_COOKIE_SECONDS,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            return response
    else:
        form = ContactForm(initial=contact_initial(request))
    return render(request, "leads/contact_form.html", {"form": form})


# This step stores nothing: it only shows the contact form with the signed
# result in a hidden field. POST keeps the result out of URLs and access logs.
@sensitive_post_parameters()
@never_cache
@require_POST
def contact_attach(request):
    initial = {"self_check": request.POST.get("self_check", "")[:2000]}
    form = ContactForm(initial=initial)
    context = {"form": form}
    if form.self_check_result is None:
        context = {"form": ContactForm(), "self_check_error": SELF_CHECK_INVALID}
    return render(request, "leads/contact_form.html", context)


@require_safe
def contact_thanks(request):
    is_urgent = (
        request.get_signed_cookie(
            URGENT_COOKIE,
            default="",
            salt=URGENT_COOKIE_SALT,
            max_age=URGENT_COOKIE_SECONDS,
        )
        == "1"
    )
    response = render(request, "leads/contact_thanks.html", {"is_urgent": is_urgent})
    if URGENT_COOKIE in request.COOKIES:
        response.delete_cookie(URGENT_COOKIE, samesite="Lax")
    return response


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("refer", "LEADS_CONTACT_RATE")
def refer(request):
    """A clinician's referral: recorded like a consultation request, as a
    lead of kind "referral"."""
    if request.method == "POST":
        form = ReferralForm(request.POST)
        if form.is_bot():
            return redirect("leads:refer_thanks")
        if form.is_valid():
            services.accept_lead(
                {**form.cleaned_data, "kind": Lead.Kind.REFERRAL},
                read_attribution(request),
            )
            return redirect("leads:refer_thanks")
    else:
        form = ReferralForm()
    return render(request, "leads/referral_form.html", {"form": form})


@require_safe
def refer_thanks(request):
    return render(request, "leads/referral_thanks.html")


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limit("subscribe", "LEADS_SUBSCRIBE_RATE")
def subscribe(request):
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if form.is_bot():
            return redirect("leads:subscribe_thanks")
        if form.is_valid():
            services.accept_sign_up(form.cleaned_data)
            return redirect("leads:subscribe_thanks")
    else:
        form = SubscribeForm(initial={"source_path": request.path})
    return render(
        request,
        "leads/subscribe_form.html",
        {"form": form, "consent_text": SUBSCRIBE_CONSENT_TEXT},
    )


@require_safe
def subscribe_thanks(request):
    return render(request, "leads/subscribe_thanks.html")


def invalid_link(request, kind):
    return render(request, "leads/invalid_link.html", {"kind": kind}, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_confirm(request, token):
    """GET shows a button; only the POST confirms, so mail scanners that
    prefetch links confirm nobody."""
    found = tokens.read_confirm_token(token)
    subscriber = found and Subscriber.objects.filter(pk=found[0]).first()
    if not subscriber or not tokens.confirm_token_matches(token, subscriber):
        return invalid_link(request, "confirm")
    if request.method == "POST":
        with transaction.atomic():  # the welcome task commits with the change
            if subscriber.confirm():
                tasks.send_welcome_email.enqueue(subscriber.pk)
        return redirect("leads:subscribe_confirm", token=token)
    return render(request, "leads/subscribe_confirm.html", {"subscriber": subscriber})


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """One button on GET; POST unsubscribes at once.

    Mail clients send the RFC 8058 one-click POST (body
    ``List-Unsubscribe=One-Click``) without a CSRF token, so only that exact
    request skips the CSRF check; the token in the URL is what proves
    the request comes from the recipient. Every other POST, the page's own
    form included, goes through the normal CSRF protection.
    """
    subscriber = Subscriber.from_unsubscribe_token(token)
    if subscriber is None:
        return invalid_link(request, "unsubscribe")
    if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
        subscriber.unsubscribe()
        return HttpResponse("You have been unsubscribed.\n", content_type="text/plain")
    return unsubscribe_page(request, subscriber)


@origin_protect
def unsubscribe_page(request, subscriber):
    if request.method == "POST":
        subscriber.unsubscribe()
        return redirect(request.path)
    return render(request, "leads/unsubscribe.html", {"subscriber": subscriber})
