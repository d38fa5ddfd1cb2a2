"""The page cache for anonymous visitors, in front of every view.

A GET or HEAD without any cookie, for a page named in
``settings.PAGE_CACHE_VIEWS`` (or a flat page), is kept in this process's
memory under the site's *content version*; a later identical request is
answered from there without running the view or touching the database,
apart from reading the version: one Redis GET when ``REDIS_URL`` is set,
else one query on the database cache table. Every process reads the same
version, so a change is visible everywhere on the next request.

The version is a random token. ``bump()`` replaces it after the
transaction that changed public content commits; it is called by
``ChangesPublicPages.save()`` / ``delete()`` (posts, comments, topics,
authors, the clinic profile, care pages), by any successful admin POST
(bulk actions use ``QuerySet.update``), by the flat-page signal in
``core.apps`` and by the periodic job that notices a scheduled post's time
(``blog.scheduling``). Pages kept under an older version are never read
again and age out of memory.

Never cached: any request carrying a cookie (staff sessions, messages,
the likes cookie), anything but GET/HEAD, any answer but a 200 without
``Set-Cookie`` or ``Cache-Control: private/no-store``. Every kept page has an
``ETag``; a repeat visit with ``If-None-Match`` gets a 304.

``PageCacheMiddleware`` keeps pages; it is the first middleware, so a page
is kept with the headers every other middleware added (CSP, HSTS...). Under
gunicorn, hits are answered before Django builds a request, by
``CachedPagesApplication`` (``clinic_site.wsgi``): both read the same
entries, keyed by the raw WSGI inputs, and answer with the same headers.
"""

import contextvars
import hashlib
import re
import secrets

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, InterfaceError, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control

VERSION_KEY = "page-cache-version"
PAGE_KEY_PREFIX = "page:"
# As GZipMiddleware (inside the cache) reads it: a kept page is gzipped or not.
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# What a 304 leaves out of the kept headers.
BODY_HEADERS = {"content-length", "content-type"}


_request_version = contextvars.ContextVar("page_cache_request_version", default=None)


def version_store():
    return caches[settings.PAGE_CACHE_VERSION_CACHE]


def page_store():
    return caches[settings.PAGE_CACHE_PAGES_CACHE]


def current_version() -> str:
    """The site's content version; a new one when none is stored."""
    version = version_store().get(VERSION_KEY)
    if version is None:
        version_store().add(VERSION_KEY, secrets.token_hex(8), timeout=None)
        version = version_store().get(VERSION_KEY)
    return version


def content_key(name: str) -> str:
    """``name`` under the content version this request read.

    For a process's own copies of content every page shows (the clinic
    profile, the footer's locations): a page rendered on a miss must never
    be kept with a copy older than its version. Outside an anonymous
    request, ``name`` itself (such copies live a minute).
    """
    version = _request_version.get()
    return name if version is None else f"{name}:{version}"


def bump_now() -> None:
    version_store().set(VERSION_KEY, secrets.token_hex(8), timeout=None)


def bump() -> None:
    """Make every cached page stale now and once the transaction commits.

    The second bump matters: a page rendered before the commit, from the
    old rows, may have been kept under the first new version.
    """
    bump_now()
    transaction.on_commit(bump_now)


class ChangesPublicPages:
    """A model mixin: saving or deleting a row makes every cached page stale."""

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        bump()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        bump()
        return result


def page_key(environ, version: str) -> str:
    """The raw request inputs a cookie-less page can depend on.

    Raw WSGI values, not Django's parsed ones, so that the WSGI layer can
    build the same key without a request; equal inputs get equal answers.
    """
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    )
    proxy_headers = [
        environ.get(name, "")
        for name in (
            settings.SECURE_PROXY_SSL_HEADER[0]
            if settings.SECURE_PROXY_SSL_HEADER
            else "",
            "HTTP_X_FORWARDED_HOST" if settings.USE_X_FORWARDED_HOST else "",
            "HTTP_X_FORWARDED_PORT" if settings.USE_X_FORWARDED_PORT else "",
        )
        if name
    ]
    gzip = bool(ACCEPTS_GZIP.search(environ.get("HTTP_ACCEPT_ENCODING", "")))
    inputs = (
        f"{gzip}:{environ['REQUEST_METHOD']}:{environ.get('wsgi.url_scheme')}:"
        f"{proxy_headers}:{host}:{environ.get('SCRIPT_NAME', '')}"
        f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    )
    # Hashed: the inputs are not checked yet, and may be long or odd.
    digest = hashlib.blake2b(inputs.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{PAGE_KEY_PREFIX}{version}:{digest}"


def is_cacheable_request(environ) -> bool:
    path = environ.get("PATH_INFO", "")
    return (
        settings.PAGE_CACHE_ENABLED
        and environ["REQUEST_METHOD"] in ("GET", "HEAD")
        and not environ.get("HTTP_COOKIE", "").strip()
        and "HTTP_AUTHORIZATION" not in environ
        and not path.startswith((settings.STATIC_URL, settings.MEDIA_URL))
    )


def is_cacheable_response(request, response) -> bool:
    match = getattr(request, "resolver_match", None)
    # No URL pattern matched: the flat-page fallback answered.
    named = match is None or match.view_name in settings.PAGE_CACHE_VIEWS
    cache_control = response.get("Cache-Control", "")
    return (
        named
        and response.status_code == 200
        and not response.cookies
        and not response.streaming
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


def etag_of(content: bytes) -> str:
    return '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'


def cached_entry(environ):
    """The kept ``(status, reason, headers, body, etag)`` for this request,
    or None; also None when the version cannot be read."""
    if not is_cacheable_request(environ):
        return None
    try:
        version = current_version()
    except (DatabaseError, InterfaceError):
        return None
    return page_store().get(page_key(environ, version))


def answer_parts(environ, entry):
    """Status, reason, headers and body that answer this request from an entry.

    A 304 keeps the 200's headers (RFC 9110 section 15.4.5) except those
    that describe its body.
    """
    status, reason, headers, body, etag = entry
    if etag in environ.get("HTTP_IF_NONE_MATCH", ""):
        kept = [
            (name, value) for name, value in headers if name.lower() not in BODY_HEADERS
        ]
        return 304, "Not Modified", kept, b""
    return status, reason, headers, body


def keep(environ, version, response):
    """Store a fresh page and mark it; the entry holds its final headers."""
    response["ETag"] = etag_of(response.content)
    patch_cache_control(response, no_cache=True, public=True)
    response["X-Page-Cache"] = "hit"
    entry = (
        response.status_code,
        response.reason_phrase,
        list(response.items()),
        response.content,
        response["ETag"],
    )
    page_store().set(page_key(environ, version), entry, settings.PAGE_CACHE_SECONDS)
    response["X-Page-Cache"] = "miss"
    return entry


def django_answer(environ, entry):
    status, _, headers, body = answer_parts(environ, entry)
    response = (
        HttpResponseNotModified() if status == 304 else HttpResponse(body, status)
    )
    for name, value in headers:
        response[name] = value
    return response


class PageCacheMiddleware:
    """Serves and keeps anonymous pages; see the module docstring.

    It comes first in ``MIDDLEWARE``, so that the headers it keeps are the
    ones every other middleware added.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        environ = request.META
        if not is_cacheable_request(environ):
            response = self.get_response(request)
            if (
                request.method == "POST"
                and request.path.startswith("/admin/")
                and response.status_code < 400
            ):
                bump_now()
            return response
        try:
            version = current_version()
        except (DatabaseError, InterfaceError):
            return self.get_response(request)
        entry = page_store().get(page_key(environ, version))
        if entry is not None:
            return django_answer(environ, entry)
        token = _request_version.set(version)
        try:
            response = self.get_response(request)
        finally:
            _request_version.reset(token)
        if is_cacheable_response(request, response):
            entry = keep(environ, version, response)
            if answer_parts(environ, entry)[0] == 304:
                return django_answer(environ, entry)
        return response


class CachedPagesApplication:
    """A WSGI layer in front of Django that answers page-cache hits itself.

    A hit needs no request object, middleware or response object: the
    version, one dictionary lookup and the kept bytes. Everything else goes
    to Django, whose ``PageCacheMiddleware`` keeps the pages.
    """

    def __init__(self, django_application):
        self.django_application = django_application

    def __call__(self, environ, start_response):
        entry = cached_entry(environ)
        if entry is None:
            return self.django_application(environ, start_response)
        status, reason, headers, body = answer_parts(environ, entry)
        start_response(f"{status} {reason}", headers)
        return [body]
