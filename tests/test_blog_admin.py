"""Staff write, schedule, publish and moderate in the admin."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from blog.models import Author, Comment, Post

pytestmark = pytest.mark.django_db


def png():
    buffer = BytesIO()
    Image.new("RGB", (64, 32), "white").save(buffer, "PNG")
    return SimpleUploadedFile("hero.png", buffer.getvalue(), content_type="image/png")


def post_form_data(author, **overrides):
    now = timezone.localtime()
    data = {
        "title": "Preparing for your first visit",
        "slug": "preparing-for-your-first-visit",
        "summary": "What to bring and what happens.",
        "body": "## Before you come\n\nBring your medication list.",
        "status": "draft",
        "published_at_0": now.strftime("%Y-%m-%d"),
        "published_at_1": now.strftime("%H:%M:%S"),
        "notify_subscribers": "on",
        "crisis_box": "auto",
        "author": author.pk,
        "hero_image_alt": "",
        "hero_image_credit": "",
        "references-TOTAL_FORMS": "1",
        "references-INITIAL_FORMS": "0",
        "references-0-position": "1",
        "references-0-title": "A guide",
        "references-0-url": "https://example.org/guide",
    }
    data.update(overrides)
    return data


@pytest.fixture
def author(db):
    return Author.objects.create(display_name="Clinical Team", slug="clinical-team")


def test_post_list_shows_status_time_author_topics_and_counts(admin_client, make_post):
    make_post(title="Live one")
    make_post(title="A draft", status=Post.Status.DRAFT)

    response = admin_client.get(reverse("admin:blog_post_changelist"))

    assert response.status_code == 200
    for text in ["Live one", "A draft", "Draft", "Live", "Views", "Likes", "Preview"]:
        assert text in response.text


def test_post_list_can_be_searched_and_filtered(admin_client, make_post):
    make_post(title="About sleep")
    make_post(title="About pain", status=Post.Status.DRAFT)

    searched = admin_client.get(reverse("admin:blog_post_changelist"), {"q": "sleep"})
    filtered = admin_client.get(
        reverse("admin:blog_post_changelist"), {"status__exact": "draft"}
    )

    assert "About sleep" in searched.text and "About pain" not in searched.text
    assert "About pain" in filtered.text and "About sleep" not in filtered.text


def test_staff_create_a_post_with_references_in_the_admin(admin_client, author):
    response = admin_client.post(reverse("admin:blog_post_add"), post_form_data(author))

    assert response.status_code == 302
    post = Post.objects.get()
    assert post.status == Post.Status.DRAFT
    assert [ref.title for ref in post.references.all()] == ["A guide"]


def test_image_without_alt_text_is_refused_in_the_admin(
    admin_client, author, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path

    response = admin_client.post(
        reverse("admin:blog_post_add"), {**post_form_data(author), "hero_image": png()}
    )

    assert response.status_code == 200
    assert "Describe the image for screen-reader users." in response.text
    assert not Post.objects.exists()


def test_image_with_alt_text_is_accepted(admin_client, author, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = {**post_form_data(author), "hero_image": png(), "hero_image_alt": "A room"}

    admin_client.post(reverse("admin:blog_post_add"), data)

    assert Post.objects.get().hero_image_width == 64


def test_publish_action_makes_drafts_public(admin_client, make_post, author):
    draft = make_post(
        status=Post.Status.DRAFT,
        published_at=None,
        reviewer=author,
        last_reviewed=timezone.localdate(),
    )
    draft.references.create(title="A guide")

    admin_client.post(
        reverse("admin:blog_post_changelist"),
        {"action": "publish_now", "_selected_action": [draft.pk]},
    )

    assert list(Post.objects.published()) == [draft]


def test_unpublish_action_hides_posts(admin_client, make_post):
    post = make_post()

    admin_client.post(
        reverse("admin:blog_post_changelist"),
        {"action": "unpublish", "_selected_action": [post.pk]},
    )

    assert not Post.objects.published().exists()


def test_change_form_links_a_draft_to_its_preview(admin_client, make_post):
    draft = make_post(status=Post.Status.DRAFT)

    response = admin_client.get(reverse("admin:blog_post_change", args=[draft.pk]))

    assert reverse("blog:post_preview", args=[draft.pk]) in response.text


def test_post_list_links_to_comments_waiting_for_moderation(admin_client, post):
    post.comments.create(name="Ann", body="A real question here.")

    response = admin_client.get(reverse("admin:blog_post_changelist"))

    assert f"post__id__exact={post.pk}&amp;status__exact=pending" in response.text


def test_moderation_queue_filters_pending_comments(admin_client, post):
    post.comments.create(name="Waiting", body="A real question here.")
    post.comments.create(name="Done", body="Already approved.", status="approved")

    response = admin_client.get(
        reverse("admin:blog_comment_changelist"), {"status__exact": "pending"}
    )

    assert "Waiting" in response.text
    assert "Done" not in response.text.split("result_list")[1]


@pytest.mark.parametrize(
    ("action", "status"),
    [("approve", "approved"), ("reject", "rejected"), ("mark_junk", "junk")],
)
def test_comments_are_moderated_in_bulk(admin_client, post, action, status):
    comments = [post.comments.create(name=f"R{n}", body="Text here.") for n in range(3)]

    admin_client.post(
        reverse("admin:blog_comment_changelist"),
        {"action": action, "_selected_action": [c.pk for c in comments]},
    )

    assert set(Comment.objects.values_list("status", flat=True)) == {status}


def test_approved_comment_appears_on_the_post(admin_client, client, post):
    pending = post.comments.create(name="Maria", body="Does it hurt at all?")

    admin_client.post(
        reverse("admin:blog_comment_changelist"),
        {"action": "approve", "_selected_action": [pending.pk]},
    )

    assert "Does it hurt at all?" in client.get(post.get_absolute_url()).text


def test_staff_reply_as_the_clinic(admin_client, admin_user, client, post):
    pending = post.comments.create(name="Maria", body="Does it hurt at all?")

    admin_client.post(
        reverse("admin:blog_comment_change", args=[pending.pk]),
        {"status": "approved", "reply": "Only a brief needle prick."},
    )

    pending.refresh_from_db()
    assert pending.replied_by == admin_user
    assert pending.replied_at is not None
    assert "Only a brief needle prick." in client.get(post.get_absolute_url()).text


def test_comment_text_cannot_be_edited_by_staff(admin_client, post):
    pending = post.comments.create(name="Maria", body="Original words.")

    admin_client.post(
        reverse("admin:blog_comment_change", args=[pending.pk]),
        {"status": "pending", "reply": "", "body": "Changed words."},
    )

    pending.refresh_from_db()
    assert pending.body == "Original words."


def test_author_and_topic_admins_load(admin_client, post):
    for name in ["author", "topic"]:
        response = admin_client.get(reverse(f"admin:blog_{name}_changelist"))
        assert response.status_code == 200


def test_a_damaged_image_gets_a_form_error_not_a_server_error(
    admin_client, author, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    whole = png().read()
    damaged = SimpleUploadedFile("hero.png", whole[:-40], content_type="image/png")
    data = {**post_form_data(author), "hero_image": damaged, "hero_image_alt": "A room"}

    response = admin_client.post(reverse("admin:blog_post_add"), data)

    assert response.status_code == 200
    assert "damaged" in response.text or "valid image" in response.text
    assert not Post.objects.exists()


def test_a_file_that_is_not_an_image_gets_a_form_error(
    admin_client, author, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    text = SimpleUploadedFile("hero.png", b"not a picture", content_type="image/png")
    data = {**post_form_data(author), "hero_image": text, "hero_image_alt": "A room"}

    response = admin_client.post(reverse("admin:blog_post_add"), data)

    assert response.status_code == 200
    assert "valid image" in response.text
    assert not Post.objects.exists()


def test_an_accepted_upload_gets_its_renditions(
    admin_client, author, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    data = {**post_form_data(author), "hero_image": png(), "hero_image_alt": "A room"}

    admin_client.post(reverse("admin:blog_post_add"), data)

    assert {f["width"] for f in Post.objects.get().hero_image_renditions["files"]} == {
        64
    }
