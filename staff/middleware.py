"""Rules for every request of a signed-in staff member."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from staff.mfa import has_second_factor, setup_redirect

LAST_SEEN_KEY = "staff_last_seen"
# Writing the session on every request would cost a database write per page;
# a minute of slack on a two-hour limit does not matter.
LAST_SEEN_RESOLUTION = 60


def serves_sign_in(request) -> bool:
    """Sign-in, sign-out and second-factor pages (django-allauth's views)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.func.__module__.startswith("allauth.")


class StaffSessionMiddleware:
    """End idle sessions; keep staff without a second factor on its set-up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Visitors without a session cookie are never signed in; skipping
        # them keeps public pages free of "Vary: Cookie".
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            if request.user.is_authenticated and self.idle_too_long(request):
                return self.sign_out(request)
            if self.must_set_up_second_factor(request):
                return setup_redirect(request)
        return self.get_response(request)

    def idle_too_long(self, request) -> bool:
        now = time.time()
        last_seen = request.session.get(LAST_SEEN_KEY)
        if last_seen is not None:
            if now - last_seen > settings.STAFF_SESSION_IDLE_MINUTES * 60:
                return True
            if now - last_seen < LAST_SEEN_RESOLUTION:
                return False
        request.session[LAST_SEEN_KEY] = now
        return False

    def sign_out(self, request):
        logout(request)
        messages.info(
            request,
            f"You were signed out after {settings.STAFF_SESSION_IDLE_MINUTES} "
            "minutes without activity. Please sign in again.",
        )
        login_url = reverse(
            "account_login", query={REDIRECT_FIELD_NAME: request.get_full_path()}
        )
        return redirect(login_url)

    def must_set_up_second_factor(self, request) -> bool:
        user = request.user
        return (
            settings.STAFF_MFA_REQUIRED
            and user.is_authenticated
            and user.is_staff
            and not serves_sign_in(request)
            and not has_second_factor(user)
        )
