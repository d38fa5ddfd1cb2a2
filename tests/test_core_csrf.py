"""Public forms without a CSRF cookie: Origin / Sec-Fetch-Site (core.csrf)."""

import pytest
from django.test import Client
from django.urls import reverse

from blog.models import Comment
from core.protections import started_token
from leads.models import Subscriber

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/blog/", "/contact/", "/subscribe/", "/robots.txt"]


@pytest.fixture
def strict():
    return Client(enforce_csrf_checks=True)


def sign_up(client, **headers):
    return client.post(
        reverse("leads:subscribe"),
        {"email": "sam@example.com", "frequency": "weekly", "started": started_token()},
        headers=headers,
    )


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_an_anonymous_get_of_a_public_page_sets_no_cookie(client, post, path):
    response = client.get(path)

    assert response.status_code == 200
    assert not response.cookies


def test_a_post_page_sets_no_cookie_and_has_no_token(client, post):
    response = client.get(post.get_absolute_url())

    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.text


def test_a_same_origin_form_post_needs_no_token(strict, settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0

    response = sign_up(strict, sec_fetch_site="same-origin")

    assert response.status_code == 302
    assert Subscriber.objects.filter(email="sam@example.com").exists()


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_cross_site_form_post_is_refused(strict, site):
    response = sign_up(strict, sec_fetch_site=site, origin="https://evil.example")

    assert response.status_code == 403
    assert not Subscriber.objects.exists()


def test_a_foreign_origin_is_refused_from_a_browser_without_fetch_metadata(strict):
    response = sign_up(strict, origin="https://evil.example")

    assert response.status_code == 403


def test_this_sites_origin_passes_without_fetch_metadata(strict, settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0

    response = sign_up(strict, origin="http://testserver")

    assert response.status_code == 302


def test_a_cross_site_comment_is_refused(strict, post):
    response = strict.post(
        reverse("blog:comment_create", args=[post.slug]),
        {"name": "A", "body": "Hello"},
        headers={"sec-fetch-site": "cross-site"},
    )

    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_a_cross_site_like_is_refused(strict, post):
    response = strict.post(
        reverse("blog:post_like", args=[post.slug]),
        headers={"origin": "https://evil.example"},
    )

    assert response.status_code == 403
    post.refresh_from_db()
    assert post.like_count == 0


def test_the_admin_still_needs_its_csrf_token(strict, admin_user):
    strict.force_login(admin_user)

    response = strict.post(
        "/admin/blog/topic/add/",
        {"name": "X", "slug": "x"},
        headers={"sec-fetch-site": "same-origin"},
    )

    assert response.status_code == 403


def test_the_staff_sign_in_page_still_sets_its_csrf_cookie(client):
    response = client.get(reverse("account_login"))

    assert "csrftoken" in response.cookies
