"""The anonymous page cache (core.page_cache): hits, 304s, never-cached
cases and exact invalidation."""

from datetime import timedelta

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from blog.models import Comment, Post
from blog.scheduling import refresh_pages_for_due_posts
from core.models import ClinicProfile
from core.page_cache import bump_now

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clinic_profile(db):
    """The profile row exists, as on any site that served a page before."""
    ClinicProfile.current()


def visit(path, **headers):
    """A GET from a new visitor: no cookie at all."""
    return Client().get(path, headers=headers)


def test_a_second_anonymous_visit_is_served_from_the_cache(post):
    visit(post.get_absolute_url())

    response = visit(post.get_absolute_url())

    assert response["X-Page-Cache"] == "hit"
    assert post.title in response.text


def test_a_hit_runs_no_view_and_reads_only_the_version(
    post, django_assert_max_num_queries
):
    visit("/blog/")

    with django_assert_max_num_queries(1):
        response = visit("/blog/")

    assert response["X-Page-Cache"] == "hit"


def test_a_repeat_visit_with_the_etag_gets_a_304(post):
    etag = visit(post.get_absolute_url())["ETag"]

    response = visit(post.get_absolute_url(), if_none_match=etag)

    assert response.status_code == 304
    assert response.content == b""


def test_a_cached_page_sets_no_cookie(post):
    visit("/")

    response = visit("/")

    assert response["X-Page-Cache"] == "hit"
    assert not response.cookies
    assert "Set-Cookie" not in response


def test_staff_never_get_a_cached_page(admin_client, post):
    visit(post.get_absolute_url())

    response = admin_client.get(post.get_absolute_url())

    assert "X-Page-Cache" not in response


def test_visitors_never_get_a_page_rendered_for_staff(admin_client, post):
    admin_client.get("/")

    response = visit("/")

    assert response["X-Page-Cache"] == "miss"


def test_a_preview_is_never_cached(admin_client, make_post):
    draft = make_post(status=Post.Status.DRAFT)
    path = reverse("blog:post_preview", args=[draft.pk])

    admin_client.get(path)
    response = visit(path)

    assert response.status_code == 302
    assert "X-Page-Cache" not in response


def test_a_request_with_any_cookie_skips_the_cache(post):
    visit("/blog/")
    client = Client()
    client.cookies["messages"] = "x"

    response = client.get("/blog/")

    assert "X-Page-Cache" not in response


def test_pages_with_forms_are_not_cached(db):
    visit("/contact/")

    assert "X-Page-Cache" not in visit("/contact/")


def test_editing_a_post_is_fresh_on_the_next_request(post):
    visit(post.get_absolute_url())

    post.title = "A new title"
    post.save()
    response = visit(post.get_absolute_url())

    assert response["X-Page-Cache"] == "miss"
    assert "A new title" in response.text


def test_publishing_a_post_shows_it_on_the_list_at_once(make_post):
    draft = make_post(status=Post.Status.DRAFT, title="Fresh news")
    assert "Fresh news" not in visit("/blog/").text

    draft.status = Post.Status.PUBLISHED
    draft.save()

    assert "Fresh news" in visit("/blog/").text


def test_unpublishing_a_post_removes_it_at_once(post):
    assert visit(post.get_absolute_url()).status_code == 200

    post.status = Post.Status.DRAFT
    post.save()

    assert visit(post.get_absolute_url()).status_code == 404


def test_approving_a_comment_in_the_admin_shows_it_at_once(admin_user, post):
    comment = Comment.objects.create(post=post, name="Robin", body="So helpful")
    assert "So helpful" not in visit(post.get_absolute_url()).text
    staff = Client()
    staff.force_login(admin_user)

    staff.post(
        reverse("admin:blog_comment_changelist"),
        {"action": "approve", "_selected_action": [comment.pk]},
    )

    assert "So helpful" in visit(post.get_absolute_url()).text


def test_editing_the_clinic_profile_is_fresh_everywhere(post):
    visit("/")
    profile = ClinicProfile.current()

    profile.name = "Brand New Clinic"
    profile.save()

    assert "Brand New Clinic" in visit("/").text


@pytest.mark.parametrize(
    "change",
    ["profile", "location"],
)
def test_a_change_made_by_another_process_is_not_hidden_by_this_ones_copies(
    post, make_location, change
):
    from care.models import Location

    make_location(name="Riverside office")
    make_location(name="Downtown office")
    visit("/")  # this process now holds its copies of the profile and locations

    # Another process saved: the rows and the version change, our copies stay.
    if change == "profile":
        ClinicProfile.objects.filter(pk=1).update(name="Brand New Clinic")
        shown = "Brand New Clinic"
    else:
        Location.objects.filter(name="Riverside office").update(name="Lakeside")
        shown = "Lakeside"
    bump_now()

    assert shown in visit("/").text
    assert shown in visit(post.get_absolute_url()).text


def test_editing_a_flat_page_is_fresh_at_once(db):
    page = FlatPage.objects.create(url="/about-us/", title="About", content="Old")
    page.sites.add(Site.objects.get_current())
    assert "Old" in visit("/about-us/").text
    assert visit("/about-us/")["X-Page-Cache"] == "hit"

    page.content = "Renewed"
    page.save()

    assert "Renewed" in visit("/about-us/").text


def test_a_scheduled_post_appears_when_the_job_notices_its_time(make_post):
    soon = timezone.now() + timedelta(minutes=5)
    make_post(title="Scheduled story", published_at=soon)
    refresh_pages_for_due_posts()
    assert "Scheduled story" not in visit("/blog/").text

    with pytest.MonkeyPatch.context() as patch:
        later = soon + timedelta(seconds=1)
        patch.setattr(timezone, "now", lambda: later)
        assert refresh_pages_for_due_posts(later) == 1
        response = visit("/blog/")

    assert "Scheduled story" in response.text


def test_counters_come_from_a_small_json_endpoint(post):
    Post.objects.filter(pk=post.pk).update(like_count=7, view_count=30)

    response = visit(reverse("blog:post_counts", args=[post.slug]))

    assert response.json() == {"likes": 7, "views": 30, "comments": 0}
    assert "max-age=60" in response["Cache-Control"]
    assert not response.cookies


def test_a_miss_adds_at_most_one_query_to_the_view(
    post, django_assert_max_num_queries, settings
):
    visit("/")  # the version exists, as on any running site

    with django_assert_max_num_queries(6):
        response = visit(post.get_absolute_url())

    assert response["X-Page-Cache"] == "miss"


def test_a_kept_page_is_gzipped_only_for_visitors_who_accept_it(post):
    url = post.get_absolute_url()
    visit(url, accept_encoding="gzip, br")
    visit(url)

    zipped = visit(url, accept_encoding="gzip, br")
    plain = visit(url)

    assert zipped["X-Page-Cache"] == plain["X-Page-Cache"] == "hit"
    assert zipped["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain
    assert plain.content.startswith(b"<!doctype html>")
    assert "Accept-Encoding" in plain["Vary"]
