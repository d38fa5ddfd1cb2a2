"""The WSGI layer in front of Django (core.page_cache.CachedPagesApplication):
hits are answered from the kept bytes, everything else goes to Django."""

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory

from clinic_site import wsgi
from core.models import ClinicProfile
from core.page_cache import CachedPagesApplication

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clinic_profile(db):
    ClinicProfile.current()


@pytest.fixture(autouse=True)
def _test_transaction_outlives_each_request():
    """As in Django's test client: closing old connections at a request's
    start and end would end the test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def version_outside_the_database(settings):
    """As with Redis: the version costs no query."""
    settings.PAGE_CACHE_VERSION_CACHE = "local"


def wsgi_get(path, method="GET", secure=False, **headers):
    """Status, headers and body of one request through the WSGI application."""
    environ = (
        RequestFactory().generic(method, path, secure=secure, headers=headers).environ
    )
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started.update(status=status, headers=response_headers)

    # Built per request: middleware reads some settings when it starts.
    application = CachedPagesApplication(WSGIHandler())
    body_parts = application(environ, start_response)
    try:
        body = b"".join(body_parts)
    finally:
        if hasattr(body_parts, "close"):
            body_parts.close()
    return started["status"], dict(started["headers"]), body


def test_a_hit_runs_no_view_and_makes_no_query(
    post, version_outside_the_database, django_assert_num_queries
):
    wsgi_get(post.get_absolute_url())

    with django_assert_num_queries(0):
        status, headers, body = wsgi_get(post.get_absolute_url())

    assert status == "200 OK"
    assert headers["X-Page-Cache"] == "hit"
    assert post.title.encode() in body


def test_a_hit_carries_the_same_headers_as_the_fresh_page(post, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    _, miss, body = wsgi_get(post.get_absolute_url(), secure=True)

    _, hit, _ = wsgi_get(post.get_absolute_url(), secure=True)

    assert miss.pop("X-Page-Cache") == "miss"
    assert hit.pop("X-Page-Cache") == "hit"
    assert hit == miss
    assert {
        "Content-Security-Policy",
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "X-Frame-Options",
        "ETag",
    } <= set(hit)
    assert hit["Content-Length"] == str(len(body))


def test_the_middleware_hit_carries_the_same_headers_as_the_fresh_page(post):
    miss = dict(Client().get(post.get_absolute_url()).headers)

    hit = dict(Client().get(post.get_absolute_url()).headers)

    assert miss.pop("X-Page-Cache") == "miss"
    assert hit.pop("X-Page-Cache") == "hit"
    assert hit == miss


def test_the_site_is_served_through_the_wsgi_layer():
    assert isinstance(wsgi.application, CachedPagesApplication)


def test_a_conditional_get_on_a_hit_gets_a_304_without_a_query(
    post, version_outside_the_database, django_assert_num_queries
):
    etag = wsgi_get(post.get_absolute_url())[1]["ETag"]

    with django_assert_num_queries(0):
        status, headers, body = wsgi_get(post.get_absolute_url(), if_none_match=etag)

    assert status == "304 Not Modified"
    assert headers["ETag"] == etag
    assert "Content-Length" not in headers
    assert body == b""


def test_a_request_with_a_session_cookie_goes_to_django(admin_client, post):
    wsgi_get(post.get_absolute_url())
    session = admin_client.cookies["sessionid"].value

    _, headers, _ = wsgi_get(post.get_absolute_url(), cookie=f"sessionid={session}")

    assert "X-Page-Cache" not in headers


def test_a_post_goes_to_django(post):
    wsgi_get("/blog/")

    _, headers, _ = wsgi_get("/blog/", method="POST")

    assert "X-Page-Cache" not in headers


def test_a_plain_http_request_never_gets_the_page_kept_for_https(post):
    wsgi_get("/blog/", secure=True)

    _, headers, _ = wsgi_get("/blog/")

    assert headers["X-Page-Cache"] == "miss"


def test_another_query_string_is_another_page(post):
    wsgi_get("/blog/")

    _, headers, _ = wsgi_get("/blog/?page=1")

    assert headers["X-Page-Cache"] == "miss"
