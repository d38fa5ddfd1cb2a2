"""Publishing a post with an incomplete editorial checklist asks the editor."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from blog import checklist
from blog.models import Author, Post
from tests.test_blog_admin import post_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(db):
    return Author.objects.create(display_name="Clinical Team", slug="clinical-team")


@pytest.fixture
def reviewer(db):
    return Author.objects.create(display_name="Dr. Rivera", slug="dr-rivera")


def complete_data(author, reviewer, **overrides):
    return post_form_data(
        author,
        status="published",
        reviewer=reviewer.pk,
        last_reviewed=timezone.localdate().isoformat(),
        **overrides,
    )


def test_missing_items_names_each_gap():
    today = datetime.date(2026, 12, 2)
    assert (
        checklist.missing_items(
            has_reviewer=True, reference_count=2, last_reviewed=today, today=today
        )
        == []
    )
    assert checklist.missing_items(
        has_reviewer=False,
        reference_count=0,
        last_reviewed=today - datetime.timedelta(days=366),
        today=today,
    ) == [checklist.NO_REVIEWER, checklist.NO_REFERENCES, checklist.OLD_REVIEW]
    assert (
        checklist.missing_items(
            has_reviewer=True,
            reference_count=1,
            last_reviewed=today - datetime.timedelta(days=365),
            today=today,
        )
        == []
    )
    assert checklist.NEVER_REVIEWED in checklist.missing_items(
        has_reviewer=True, reference_count=1, last_reviewed=None, today=today
    )


def test_a_complete_post_publishes_without_a_question(admin_client, author, reviewer):
    response = admin_client.post(
        reverse("admin:blog_post_add"), complete_data(author, reviewer)
    )

    assert response.status_code == 302
    assert Post.objects.get().status == Post.Status.PUBLISHED


def test_publishing_without_reviewer_lists_the_gaps_and_keeps_the_input(
    admin_client, author
):
    old = timezone.localdate() - datetime.timedelta(days=400)
    data = post_form_data(
        author,
        status="published",
        last_reviewed=old.isoformat(),
        **{"references-0-title": ""},
    )

    response = admin_client.post(reverse("admin:blog_post_add"), data)

    assert response.status_code == 200
    assert not Post.objects.exists()
    for text in [
        "no medical reviewer",
        "no references",
        "last reviewed more than 12 months ago",
        "Publish anyway",
    ]:
        assert text in response.text
    assert "Preparing for your first visit" in response.text
    assert "Bring your medication list." in response.text


def test_ticking_publish_anyway_publishes(admin_client, author):
    data = post_form_data(author, status="published", publish_anyway="on")

    response = admin_client.post(reverse("admin:blog_post_add"), data)

    assert response.status_code == 302
    assert Post.objects.get().status == Post.Status.PUBLISHED


def test_drafts_and_edits_of_live_posts_are_not_asked(admin_client, author, make_post):
    response = admin_client.post(reverse("admin:blog_post_add"), post_form_data(author))
    assert response.status_code == 302

    live = make_post(author=author)
    data = post_form_data(author, slug=live.slug, status="published")
    response = admin_client.post(
        reverse("admin:blog_post_change", args=[live.pk]), data
    )
    assert response.status_code == 302


def test_required_review_cannot_be_waived(admin_client, author, reviewer, settings):
    settings.BLOG_REQUIRE_REVIEW = True
    data = post_form_data(
        author, status="published", publish_anyway="on", **{"references-0-title": ""}
    )

    response = admin_client.post(reverse("admin:blog_post_add"), data)

    assert response.status_code == 200
    assert "A medical reviewer is required to publish." in response.text
    assert "At least one reference is required to publish." in response.text
    assert not Post.objects.exists()

    data = post_form_data(
        author, status="published", reviewer=reviewer.pk, publish_anyway="on"
    )
    assert admin_client.post(reverse("admin:blog_post_add"), data).status_code == 302


def publish(client, action, posts):
    return client.post(
        reverse("admin:blog_post_changelist"),
        {"action": action, "_selected_action": [post.pk for post in posts]},
        follow=True,
    )


def test_bulk_publish_skips_incomplete_posts_naming_them(
    admin_client, make_post, reviewer
):
    complete = make_post(
        title="Complete one",
        status=Post.Status.DRAFT,
        reviewer=reviewer,
        last_reviewed=timezone.localdate(),
    )
    complete.references.create(title="A study")
    bare = make_post(title="Bare one", status=Post.Status.DRAFT)

    response = publish(admin_client, "publish_now", [complete, bare])

    assert list(Post.objects.published()) == [complete]
    assert "Published 1 post(s)." in response.text
    assert "“Bare one” (no medical reviewer; no references" in response.text

    response = publish(admin_client, "publish_anyway", [bare])

    assert set(Post.objects.published()) == {complete, bare}


def test_bulk_publish_anyway_still_holds_required_items(
    admin_client, make_post, settings
):
    settings.BLOG_REQUIRE_REVIEW = True
    bare = make_post(title="Bare one", status=Post.Status.DRAFT)

    response = publish(admin_client, "publish_anyway", [bare])

    assert not Post.objects.published().exists()
    assert "A medical reviewer and references are required." in response.text
