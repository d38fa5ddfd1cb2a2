"""Author photos are served as AVIF/WebP at the two sizes pages show them."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blog.models import Author
from blog.models.author import PHOTO_WIDTHS
from core.images import formats

pytestmark = pytest.mark.django_db


def make_author(photo):
    return Author.objects.create(
        display_name="Dr. Rivera",
        slug="dr-rivera",
        job_title="Psychiatrist",
        photo=photo,
    )


def rendition_names(author):
    return [file["name"] for file in author.photo_renditions["files"]]


def author_form_data(**overrides):
    return {
        "display_name": "Dr. Rivera",
        "slug": "dr-rivera",
        "job_title": "",
        "bio": "",
        **overrides,
    }


def test_a_photo_gets_both_widths_in_every_format(image_upload):
    author = make_author(image_upload(600, 600))

    made = {(f["format"], f["width"]) for f in author.photo_renditions["files"]}

    assert made == {(fmt, width) for fmt in formats() for width in PHOTO_WIDTHS}


def test_a_small_photo_is_never_upscaled(image_upload):
    author = make_author(image_upload(120, 120))

    assert {f["width"] for f in author.photo_renditions["files"]} == {96, 120}


def test_the_post_page_shows_the_photo_with_srcset_and_its_size(
    client, image_upload, make_post
):
    author = make_author(image_upload(600, 600))
    post = make_post(author=author)

    html = client.get(post.get_absolute_url()).text

    assert 'class="author-photo"' in html
    assert 'sizes="80px"' in html
    assert 'width="80" height="80" loading="lazy"' in html
    assert f"{default_storage.url(rendition_names(author)[-1])} 192w" in html


def test_the_author_page_shows_the_photo_at_once(client, image_upload):
    author = make_author(image_upload(600, 600))

    html = client.get(author.get_absolute_url()).text

    assert 'sizes="96px"' in html
    assert 'width="96" height="96">' in html
    assert "96w, " in html


def test_replacing_the_photo_deletes_the_old_renditions(
    image_upload, django_capture_on_commit_callbacks
):
    author = make_author(image_upload())
    old_names = rendition_names(author)

    with django_capture_on_commit_callbacks(execute=True):
        author.photo = image_upload(name="new.png")
        author.save()

    assert not any(default_storage.exists(name) for name in old_names)
    assert all(default_storage.exists(name) for name in rendition_names(author))


def test_removing_the_photo_deletes_its_renditions(
    image_upload, django_capture_on_commit_callbacks
):
    author = make_author(image_upload())
    old_names = rendition_names(author)

    with django_capture_on_commit_callbacks(execute=True):
        author.photo = ""
        author.save()

    assert author.photo_renditions == {}
    assert not any(default_storage.exists(name) for name in old_names)


def test_deleting_the_author_deletes_the_renditions(
    image_upload, django_capture_on_commit_callbacks
):
    author = make_author(image_upload())
    old_names = rendition_names(author)

    with django_capture_on_commit_callbacks(execute=True):
        author.delete()

    assert not any(default_storage.exists(name) for name in old_names)


def test_a_photo_uploaded_in_the_admin_gets_its_renditions(admin_client, image_upload):
    data = author_form_data(photo=image_upload(300, 300))

    response = admin_client.post(reverse("admin:blog_author_add"), data)

    assert response.status_code == 302
    assert {f["width"] for f in Author.objects.get().photo_renditions["files"]} == {
        96,
        192,
    }


def test_a_damaged_photo_gets_a_form_error_not_a_server_error(
    admin_client, image_upload
):
    whole = image_upload().read()
    damaged = SimpleUploadedFile("photo.png", whole[:-40], content_type="image/png")

    response = admin_client.post(
        reverse("admin:blog_author_add"), author_form_data(photo=damaged)
    )

    assert response.status_code == 200
    assert "damaged" in response.text or "valid image" in response.text
    assert not Author.objects.exists()


def test_a_photo_that_is_not_an_image_gets_a_form_error(admin_client, image_upload):
    text = SimpleUploadedFile("photo.png", b"not a picture", content_type="image/png")

    response = admin_client.post(
        reverse("admin:blog_author_add"), author_form_data(photo=text)
    )

    assert response.status_code == 200
    assert "valid image" in response.text
    assert not Author.objects.exists()
