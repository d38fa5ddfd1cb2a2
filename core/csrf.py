"""Cross-site request protection without a cookie: Origin / Sec-Fetch-Site.

Public pages must set no cookie, so that a shared cache may keep them
(``core.page_cache``); Django's token needs a ``csrftoken`` cookie on every
page with a form. Django 6.1 has no header-only mode, so public forms are
protected the way Go 1.25's ``CrossOriginProtection`` does it:

1. ``Sec-Fetch-Site`` (every current browser sends it): ``same-origin`` and
   ``none`` (typed by the user) pass, anything else is refused;
2. without it, an ``Origin`` header must be this site's own origin or one of
   ``CSRF_TRUSTED_ORIGINS``;
3. with neither header the request does not come from a browser that could
   be tricked into sending it (older browsers send ``Origin`` on every
   cross-site POST), so it passes.

The staff pages (``CSRF_TOKEN_PATH_PREFIXES``: the admin and the sign-in)
keep Django's token check on top of its Origin check, unchanged.
"""

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
ALLOWED_FETCH_SITES = {"same-origin", "none"}


class OriginCsrfViewMiddleware(CsrfViewMiddleware):
    """Django's CSRF check for staff paths, header checks everywhere else."""

    def uses_token(self, request) -> bool:
        return request.path_info.startswith(settings.CSRF_TOKEN_PATH_PREFIXES)

    def process_view(self, request, callback, callback_args, callback_kwargs):
        if self.uses_token(request):
            return super().process_view(
                request, callback, callback_args, callback_kwargs
            )
        if (
            getattr(request, "csrf_processing_done", False)
            or getattr(callback, "csrf_exempt", False)
            or request.method in SAFE_METHODS
            or getattr(request, "_dont_enforce_csrf_checks", False)
        ):
            return None
        reason = self.cross_site_reason(request)
        if reason:
            return self._reject(request, reason)
        request.csrf_processing_done = True
        return None

    def cross_site_reason(self, request) -> str:
        """Why the request looks cross-site; empty when it does not."""
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site is not None:
            if fetch_site in ALLOWED_FETCH_SITES:
                return ""
            return f"Sec-Fetch-Site is {fetch_site[:40]!r}."
        if "HTTP_ORIGIN" in request.META and not self._origin_verified(request):
            return f"Origin {request.META['HTTP_ORIGIN'][:100]!r} is not this site."
        return ""


class OriginOnlyMiddleware(OriginCsrfViewMiddleware):
    def uses_token(self, request) -> bool:
        return False


origin_protect = decorator_from_middleware(OriginOnlyMiddleware)
origin_protect.__doc__ = "The header check for a view that is otherwise exempt."
