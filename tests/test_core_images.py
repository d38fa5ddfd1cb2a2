"""Uploaded images get AVIF/WebP renditions at several widths, never upscaled."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, features

from core.images import (
    WIDTHS,
    formats,
    make_renditions,
    target_widths,
    update_renditions,
    validate_image,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(width=1600, height=900, name="hero.png", fmt="PNG"):
    buffer = BytesIO()
    Image.new("RGB", (width, height), "#8fb8c9").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


def rendition_files(post):
    return post.hero_image_renditions["files"]


def test_formats_are_avif_then_webp_when_pillow_can_write_avif():
    expected = ["avif", "webp"] if features.check("avif") else ["webp"]

    assert formats() == expected


def test_a_large_upload_gets_every_width_in_every_format(make_post):
    post = make_post(hero_image=upload(1600, 900), hero_image_alt="Calm blue")

    made = {(f["format"], f["width"]) for f in rendition_files(post)}

    assert made == {(fmt, width) for fmt in formats() for width in WIDTHS}


def test_renditions_are_real_files_of_the_stated_size_and_format(make_post):
    post = make_post(hero_image=upload(1600, 900), hero_image_alt="Calm blue")

    for file in rendition_files(post):
        with default_storage.open(file["name"]) as stored, Image.open(stored) as im:
            assert im.format.lower() == file["format"]
            assert im.size == (file["width"], file["height"])


def test_renditions_keep_the_aspect_ratio(make_post):
    post = make_post(hero_image=upload(1600, 900), hero_image_alt="Calm blue")

    webp_800 = next(
        f for f in rendition_files(post) if f["format"] == "webp" and f["width"] == 800
    )

    assert webp_800["height"] == 450


def test_a_small_image_is_never_upscaled():
    assert target_widths(600) == [480, 600]
    assert target_widths(300) == [300]


def test_a_small_upload_gets_renditions_no_wider_than_itself(make_post):
    post = make_post(hero_image=upload(600, 400), hero_image_alt="Calm blue")

    assert {f["width"] for f in rendition_files(post)} == {480, 600}


def test_saving_again_without_a_new_image_keeps_the_renditions(make_post):
    post = make_post(hero_image=upload(), hero_image_alt="Calm blue")
    before = post.hero_image_renditions

    post.title = "A new title"
    post.save()

    assert post.hero_image_renditions == before


def test_replacing_the_image_deletes_the_old_renditions(
    make_post, django_capture_on_commit_callbacks
):
    post = make_post(hero_image=upload(), hero_image_alt="Calm blue")
    old_names = [f["name"] for f in rendition_files(post)]

    with django_capture_on_commit_callbacks(execute=True):
        post.hero_image = upload(name="new.png")
        post.save()

    assert not any(default_storage.exists(name) for name in old_names)
    assert all(default_storage.exists(f["name"]) for f in rendition_files(post))


def test_removing_the_image_deletes_its_renditions(
    make_post, django_capture_on_commit_callbacks
):
    post = make_post(hero_image=upload(), hero_image_alt="Calm blue")
    old_names = [f["name"] for f in rendition_files(post)]

    with django_capture_on_commit_callbacks(execute=True):
        post.hero_image = ""
        post.save()

    assert post.hero_image_renditions == {}
    assert not any(default_storage.exists(name) for name in old_names)


def test_deleting_the_post_deletes_its_renditions(
    make_post, django_capture_on_commit_callbacks
):
    post = make_post(hero_image=upload(), hero_image_alt="Calm blue")
    old_names = [f["name"] for f in rendition_files(post)]

    with django_capture_on_commit_callbacks(execute=True):
        post.delete()

    assert not any(default_storage.exists(name) for name in old_names)


def test_a_truncated_image_is_refused():
    whole = upload().read()

    with pytest.raises(ValidationError, match="damaged"):
        validate_image(SimpleUploadedFile("cut.png", whole[: len(whole) // 2]))


def test_an_image_over_the_pixel_limit_is_refused_before_decoding():
    buffer = BytesIO()
    Image.new("1", (5000, 3000)).save(buffer, "PNG")  # 15 MP, a few KB

    with pytest.raises(ValidationError, match="megapixels"):
        validate_image(SimpleUploadedFile("huge.png", buffer.getvalue()))


def test_heights_size_an_image_laid_out_by_its_height(make_post):
    post = make_post(hero_image=upload(1600, 400), hero_image_alt="Calm blue")

    made = make_renditions(post.hero_image, heights=(40, 80))

    assert {(f["width"], f["height"]) for f in made["files"]} == {(160, 40), (320, 80)}


def test_an_original_gone_from_the_disk_gets_no_renditions_and_the_row_saves(
    make_post,
):
    post = make_post(hero_image=upload(), hero_image_alt="Calm blue")
    default_storage.delete(post.hero_image.name)

    renditions = update_renditions(post.hero_image, {})

    assert renditions == {}
