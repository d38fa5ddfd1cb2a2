"""Whether a staff member has, and recently used, a second factor."""

import time
from functools import wraps

from allauth.account.internal.flows.login import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect

# Recovery codes alone are not a factor: they only stand in for a lost one.
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


def has_second_factor(user) -> bool:
    return is_mfa_enabled(user, types=SECOND_FACTORS)


def second_factor_checked_at(request) -> float | None:
    """When this session last passed a second-factor check (a Unix time)."""
    times = [
        record["at"]
        for record in get_authentication_records(request, request.user)
        if record.get("method") == "mfa"
    ]
    return max(times, default=None)


def second_factor_is_recent(request) -> bool:
    checked_at = second_factor_checked_at(request)
    max_age = settings.STAFF_RECENT_MFA_MINUTES * 60
    return checked_at is not None and time.time() - checked_at < max_age


def setup_redirect(request):
    messages.info(
        request,
        "Please set up a second sign-in step (an authenticator app or a "
        "passkey) before you continue to the back office.",
    )
    return redirect("mfa_index")


def recent_second_factor_required(view):
    """Ask for the second factor again when the last check is too old.

    Works on a function view, a ModelAdmin view method and an admin action:
    the request is found among the arguments. allauth then shows its
    "confirm it's you" page and, once passed, replays the request (for a
    POST to the same address, such as an admin action, the action runs).
    Staff who have no factor yet are let through only when factors are not
    required (``make run``, most tests).
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        request = next(arg for arg in args if isinstance(arg, HttpRequest))
        if not has_second_factor(request.user):
            if settings.STAFF_MFA_REQUIRED:
                return setup_redirect(request)
        elif not second_factor_is_recent(request):
            raise ReauthenticationRequired()
        return view(*args, **kwargs)

    return wrapper
