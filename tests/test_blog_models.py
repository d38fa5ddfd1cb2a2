"""What makes a post public, and the rules a post must follow."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from blog.models import Comment, Post

pytestmark = pytest.mark.django_db


def test_published_post_in_the_past_is_public(make_post):
    post = make_post()

    assert list(Post.objects.published()) == [post]
    assert post.is_public


def test_draft_post_is_not_public(make_post):
    make_post(status=Post.Status.DRAFT)

    assert not Post.objects.published().exists()


def test_scheduled_post_is_hidden_until_its_time(make_post):
    make_post(
        status=Post.Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=1)
    )

    assert not Post.objects.published().exists()


def test_scheduled_post_goes_public_by_itself_when_its_time_passes(make_post):
    post = make_post(
        status=Post.Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=1)
    )

    Post.objects.filter(pk=post.pk).update(
        published_at=timezone.now() - timedelta(seconds=1)
    )

    assert list(Post.objects.published()) == [post]


def test_published_post_without_a_time_is_stamped_with_now(make_post):
    post = make_post(published_at=None)

    assert post.published_at is not None
    assert post.is_public


def test_public_posts_are_listed_newest_first(make_post):
    older = make_post(published_at=timezone.now() - timedelta(days=3))
    newer = make_post(published_at=timezone.now() - timedelta(days=1))

    assert list(Post.objects.published()) == [newer, older]


def test_saving_a_post_renders_its_markdown(make_post):
    post = make_post(body="Some **bold** words.")

    assert "<strong>bold</strong>" in post.body_html


def test_image_without_alt_text_is_rejected(make_post):
    post = make_post()
    post.hero_image = SimpleUploadedFile("x.png", b"not checked here")
    post.hero_image_alt = "  "

    with pytest.raises(ValidationError) as error:
        post.clean()

    assert "hero_image_alt" in error.value.message_dict


def test_scheduled_post_needs_a_publish_time(make_post):
    post = make_post(status=Post.Status.DRAFT, published_at=None)
    post.status = Post.Status.SCHEDULED

    with pytest.raises(ValidationError) as error:
        post.clean()

    assert "published_at" in error.value.message_dict


@pytest.mark.parametrize("slug", ["feed", "topic", "author", "preview"])
def test_slug_that_would_shadow_a_blog_page_is_rejected(make_post, slug):
    post = make_post()
    post.slug = slug

    with pytest.raises(ValidationError) as error:
        post.full_clean()

    assert "slug" in error.value.message_dict


def test_publish_makes_a_draft_public_now(make_post):
    post = make_post(status=Post.Status.DRAFT, published_at=None)

    post.publish()

    assert Post.objects.published().get() == post


def test_publish_keeps_an_earlier_publish_time(make_post):
    first_published = timezone.now() - timedelta(days=10)
    post = make_post(status=Post.Status.DRAFT, published_at=first_published)

    post.publish()

    post.refresh_from_db()
    assert post.published_at == first_published


def test_unpublish_hides_the_post(make_post):
    post = make_post()

    post.unpublish()

    assert not Post.objects.published().exists()


def test_post_edited_on_a_later_day_counts_as_updated(make_post):
    post = make_post(published_at=timezone.now() - timedelta(days=5))

    assert post.was_updated


def test_post_edited_the_day_it_went_public_is_not_marked_updated(make_post):
    post = make_post(published_at=timezone.now())

    assert not post.was_updated


def test_comment_counts_include_approved_comments_only(post):
    for status in ["approved", "approved", "pending", "junk", "rejected"]:
        Comment.objects.create(
            post=post, name="Ann", body="A real thought.", status=status
        )

    counted = Post.objects.with_comment_count().get(pk=post.pk)

    assert counted.comment_count == 2


def test_new_comment_waits_for_moderation(post):
    comment = Comment.objects.create(post=post, name="Ann", body="Thank you.")

    assert comment.status == Comment.Status.PENDING
    assert not Comment.objects.approved().exists()
