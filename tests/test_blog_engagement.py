"""Likes, views and comments: counted fairly, moderated, and flood-proof."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.urls import reverse

from blog.models import Comment, Post
from core.models import ClinicProfile, RateLimitCounter
from core.protections import started_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fill_time(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0


BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140 Safari/537.36"


def like(client, post, data=None, **extra):
    data = {"started": started_token(), **(data or {})}
    return client.post(reverse("blog:post_like", args=[post.slug]), data, **extra)


def view(client, post, **extra):
    extra.setdefault("HTTP_USER_AGENT", BROWSER)
    return client.post(reverse("blog:post_view", args=[post.slug]), **extra)


def comment(client, post, **data):
    fields = {
        "name": "Maria",
        "email": "maria@example.com",
        "body": "This helped me understand the screening step.",
        "started": started_token(),
    }
    fields.update(data)
    return client.post(reverse("blog:comment_create", args=[post.slug]), fields)


def refreshed(post):
    return Post.objects.get(pk=post.pk)


# Likes


def test_like_without_javascript_counts_and_returns_to_the_post(client, post):
    response = like(client, post)

    assert response.status_code == 302
    assert response.url == post.get_absolute_url() + "#likes"
    assert refreshed(post).like_count == 1


def test_like_with_javascript_answers_with_the_new_count(client, post):
    response = like(client, post, HTTP_ACCEPT="application/json")

    assert response.json() == {"likes": 1, "liked": True}


def test_a_browser_can_like_a_post_only_once(client, post):
    like(client, post)
    like(client, post)

    assert refreshed(post).like_count == 1


def test_page_shows_that_this_browser_already_liked_the_post(client, post):
    like(client, post)

    response = client.get(post.get_absolute_url())

    assert "You found this helpful" in response.text


def test_another_browser_can_like_the_same_post(client, post):
    from django.test import Client

    like(client, post)
    like(Client(), post)

    assert refreshed(post).like_count == 2


def test_forged_like_cookie_is_ignored(client, post):
    client.cookies["blog_likes"] = str(post.pk)

    like(client, post)

    assert refreshed(post).like_count == 1


def test_likes_are_flood_limited_per_address(client, make_post, settings):
    settings.BLOG_LIKE_RATE = "2/h"
    posts = [make_post() for _ in range(3)]

    responses = [like(client, post) for post in posts]

    assert [r.status_code for r in responses] == [302, 302, 429]
    assert refreshed(posts[2]).like_count == 0


def test_flood_limit_keys_on_the_trusted_proxy_header(client, make_post, settings):
    settings.BLOG_LIKE_RATE = "1/h"
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    first, second = make_post(), make_post()

    like(client, first, HTTP_X_REAL_IP="203.0.113.5")
    response = like(client, second, HTTP_X_REAL_IP="203.0.113.6")

    assert response.status_code == 302


def test_forged_forwarded_for_header_does_not_escape_the_flood_limit(
    client, make_post, settings
):
    settings.BLOG_LIKE_RATE = "1/h"
    first, second = make_post(), make_post()

    like(client, first, HTTP_X_FORWARDED_FOR="198.51.100.1")
    response = like(client, second, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert response.status_code == 429


def test_flood_limits_can_be_switched_off(client, make_post, settings):
    settings.BLOG_LIKE_RATE = "1/h"
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False

    responses = [like(client, make_post()) for _ in range(3)]

    assert all(r.status_code == 302 for r in responses)


def test_liking_a_draft_gives_404(client, make_post):
    draft = make_post(status=Post.Status.DRAFT)

    assert like(client, draft).status_code == 404


def test_like_must_be_a_post_request(client, post):
    assert client.get(reverse("blog:post_like", args=[post.slug])).status_code == 405


def test_a_cross_site_like_is_refused(post):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, headers={"sec-fetch-site": "cross-site"})
    response = like(client, post)

    assert response.status_code == 403
    assert refreshed(post).like_count == 0


# Views


def test_reading_beacon_counts_a_view(client, post):
    response = view(client, post)

    assert response.status_code == 204
    assert refreshed(post).view_count == 1


def test_same_reader_is_counted_once_a_day(client, post):
    view(client, post)
    view(client, post)

    assert refreshed(post).view_count == 1


def test_readers_on_other_addresses_are_counted_separately(client, post):
    view(client, post, REMOTE_ADDR="192.0.2.1")
    view(client, post, REMOTE_ADDR="192.0.2.2")

    assert refreshed(post).view_count == 2


@pytest.mark.parametrize(
    "user_agent",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 HeadlessChrome/140",
        "",
    ],
)
def test_bots_are_not_counted(client, post, user_agent):
    view(client, post, HTTP_USER_AGENT=user_agent)

    assert refreshed(post).view_count == 0


def test_views_from_other_sites_are_refused(client, post):
    response = view(client, post, HTTP_SEC_FETCH_SITE="cross-site")

    assert response.status_code == 403
    assert refreshed(post).view_count == 0


def test_counting_a_view_sets_no_cookie(client, post):
    response = view(client, post)

    assert not response.cookies


def test_viewing_a_post_page_does_not_count_it_by_itself(client, post):
    client.get(post.get_absolute_url())

    assert refreshed(post).view_count == 0


def test_no_ip_address_is_stored_when_counting(client, post):
    view(client, post, REMOTE_ADDR="203.0.113.77")
    like(client, post, REMOTE_ADDR="203.0.113.77")

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, value FROM clinic_cache")
        stored = " ".join(str(cell) for row in cursor.fetchall() for cell in row)
    assert stored
    assert "203.0.113.77" not in stored


def test_views_of_drafts_are_not_counted(client, make_post):
    draft = make_post(status=Post.Status.DRAFT)

    assert view(client, draft).status_code == 404


# Comments


def test_new_comment_awaits_moderation(client, post):
    response = comment(client, post)

    assert response.status_code == 302
    saved = Comment.objects.get()
    assert saved.status == Comment.Status.PENDING
    assert "awaiting moderation" in client.get(response.url).text


def test_pending_comment_is_not_shown(client, post):
    comment(client, post, body="Waiting for a moderator to read this.")

    response = client.get(post.get_absolute_url())

    assert "Waiting for a moderator" not in response.text.split('id="comments"')[1]


def test_approved_comment_is_shown_with_the_clinics_reply(client, post):
    post.comments.create(
        name="Maria",
        body="Does it hurt?",
        status="approved",
        reply="The needle prick is brief.",
    )

    response = client.get(post.get_absolute_url())

    assert "Does it hurt?" in response.text
    assert f"Reply from {ClinicProfile.current().name}" in response.text
    assert "The needle prick is brief." in response.text


def test_commenters_email_is_never_shown(client, post):
    post.comments.create(
        name="Maria", email="maria@example.com", body="Useful.", status="approved"
    )

    assert "maria@example.com" not in client.get(post.get_absolute_url()).text


def test_html_in_comments_is_escaped(client, post):
    post.comments.create(
        name="<b>Eve</b>", body="<script>alert('x')</script> hello", status="approved"
    )

    response = client.get(post.get_absolute_url())

    assert "<script>alert('x')</script>" not in response.text
    assert "&lt;script&gt;" in response.text
    assert "<b>Eve</b>" not in response.text


def test_filled_honeypot_looks_accepted_but_stores_nothing(client, post):
    response = comment(client, post, website="http://spam.example")

    assert response.status_code == 302
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", ["mantap", "oke", "uuuu", "nice post", "ok ok ok ok"])
def test_low_substance_comments_go_to_junk(client, post, body):
    comment(client, post, body=body)

    assert Comment.objects.get().status == Comment.Status.JUNK


def test_comment_with_too_many_links_is_refused_with_a_message(client, post):
    body = "See http://a.example http://b.example http://c.example for more."

    response = comment(client, post, body=body)

    assert response.status_code == 200
    assert "at most 2 links" in response.text
    assert not Comment.objects.exists()


def test_comment_form_keeps_input_and_shows_errors(client, post):
    response = comment(client, post, name="", body="My question about sessions")

    assert response.status_code == 200
    assert "This field is required." in response.text
    assert "My question about sessions" in response.text
    assert not Comment.objects.exists()


def test_name_with_a_link_is_refused(client, post):
    response = comment(client, post, name="Cheap pills https://spam.example")

    assert "Please enter just a name." in response.text
    assert not Comment.objects.exists()


def test_over_long_comment_is_refused(client, post):
    response = comment(client, post, body="word " * 1000)

    assert response.status_code == 200
    assert not Comment.objects.exists()


def test_comment_floods_are_rate_limited_and_nothing_is_stored(client, post, settings):
    settings.BLOG_COMMENT_RATE = "2/h"

    statuses = [comment(client, post).status_code for _ in range(4)]

    assert statuses == [302, 302, 429, 429]
    assert Comment.objects.count() == 2


def test_rate_limit_page_explains_what_happened(client, post, settings):
    settings.BLOG_COMMENT_RATE = "1/h"
    comment(client, post)

    response = comment(client, post)

    assert "Please wait a moment" in response.text
    assert "Nothing was saved" in response.text


def test_comments_on_drafts_give_404(client, make_post):
    draft = make_post(status=Post.Status.DRAFT)

    assert comment(client, draft).status_code == 404
    assert not Comment.objects.exists()


def test_rate_limit_counters_are_shared_by_every_process(client, post, settings):
    settings.BLOG_COMMENT_RATE = "1/h"
    comment(client, post)
    caches["local"].clear()

    assert comment(client, post).status_code == 429
    assert RateLimitCounter.objects.exists()


def test_a_like_from_a_script_over_the_limit_gets_a_json_429(
    client, make_post, settings
):
    settings.BLOG_LIKE_RATE = "1/h"
    like(client, make_post())

    response = like(client, make_post(), HTTP_ACCEPT="application/json")

    assert response.status_code == 429
    assert "error" in response.json()
    assert int(response["Retry-After"]) > 0


def test_a_like_sent_without_the_pages_form_is_not_counted(client, post):
    response = client.post(reverse("blog:post_like", args=[post.slug]))

    assert response.status_code == 302
    assert refreshed(post).like_count == 0


def test_a_like_with_the_honeypot_filled_is_not_counted(client, post):
    like(client, post, {"website": "http://spam.example"})

    assert refreshed(post).like_count == 0


def test_a_comment_sent_faster_than_a_person_types_stores_nothing(
    client, post, settings
):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 3

    response = comment(client, post)

    assert response.status_code == 302
    assert not Comment.objects.exists()


def test_comment_needs_an_email_address(client, post):
    response = comment(client, post, email="")

    assert response.status_code == 200
    assert not Comment.objects.exists()


def test_comment_keeps_the_email_for_staff(client, post):
    comment(client, post, email="maria@example.com")

    assert Comment.objects.get().email == "maria@example.com"
