"""The clinic logo in the header: AVIF/WebP 40 and 80 px tall, sized by height."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.images import formats
from core.models import ClinicProfile

pytestmark = pytest.mark.django_db


def save_logo(logo):
    profile = ClinicProfile.current()
    profile.logo = logo
    profile.logo_alt = "Harbor Light"
    profile.save()
    return profile


def rendition_names(profile):
    return [file["name"] for file in profile.logo_renditions["files"]]


def post_logo(admin_client, form_data, logo):
    url = reverse("admin:core_clinicprofile_change", args=[ClinicProfile.current().pk])
    data = form_data(admin_client.get(url).text, "clinicprofile_form")
    return admin_client.post(url, {**data, "logo": logo})


def test_a_logo_gets_renditions_40_and_80_px_tall_in_every_format(image_upload):
    profile = save_logo(image_upload(600, 200))

    made = {
        (f["format"], f["width"], f["height"]) for f in profile.logo_renditions["files"]
    }

    assert made == {(fmt, w, h) for fmt in formats() for w, h in [(120, 40), (240, 80)]}


def test_a_small_logo_is_never_upscaled(image_upload):
    profile = save_logo(image_upload(180, 60))

    assert {f["height"] for f in profile.logo_renditions["files"]} == {40, 60}


def test_the_header_shows_the_logo_with_srcset_width_and_height(image_upload):
    save_logo(image_upload(600, 200))

    html = Client().get("/").text

    assert 'alt="Harbor Light" width="120" height="40">' in html
    assert 'sizes="120px"' in html
    assert " 240w" in html
    assert 'loading="lazy"' not in html.split("</header>")[0]


def test_a_logo_without_renditions_still_shows_40_px_tall(image_upload):
    profile = save_logo(image_upload(600, 200))
    ClinicProfile.objects.update(logo_renditions={})  # uploaded before renditions

    html = Client().get("/").text

    assert f'src="{profile.logo.url}" alt="Harbor Light" height="40">' in html


def test_a_new_logo_is_on_the_next_cached_page(image_upload):
    ClinicProfile.current()
    Client().get("/")
    assert Client().get("/")["X-Page-Cache"] == "hit"

    profile = save_logo(image_upload(600, 200, name="new-logo.png"))

    assert profile.logo.url in Client().get("/").text


def test_replacing_the_logo_deletes_the_old_renditions(
    image_upload, django_capture_on_commit_callbacks
):
    old_names = rendition_names(save_logo(image_upload()))

    with django_capture_on_commit_callbacks(execute=True):
        profile = save_logo(image_upload(name="new.png"))

    assert not any(default_storage.exists(name) for name in old_names)
    assert all(default_storage.exists(name) for name in rendition_names(profile))


def test_removing_the_logo_deletes_its_renditions(
    image_upload, django_capture_on_commit_callbacks
):
    old_names = rendition_names(save_logo(image_upload()))

    with django_capture_on_commit_callbacks(execute=True):
        profile = save_logo("")

    assert profile.logo_renditions == {}
    assert not any(default_storage.exists(name) for name in old_names)


def test_a_logo_uploaded_in_the_admin_gets_its_renditions(
    admin_client, form_data, image_upload
):
    response = post_logo(admin_client, form_data, image_upload(300, 100))

    assert response.status_code == 302
    assert {
        f["height"] for f in ClinicProfile.objects.get().logo_renditions["files"]
    } == {
        40,
        80,
    }


def test_a_damaged_logo_gets_a_form_error_not_a_server_error(
    admin_client, form_data, image_upload
):
    whole = image_upload().read()
    damaged = SimpleUploadedFile("logo.png", whole[:-40], content_type="image/png")

    response = post_logo(admin_client, form_data, damaged)

    assert response.status_code == 200
    assert "damaged" in response.text or "valid image" in response.text
    assert not ClinicProfile.objects.get().logo


def test_a_logo_that_is_not_an_image_gets_a_form_error(
    admin_client, form_data, image_upload
):
    text = SimpleUploadedFile("logo.png", b"not a picture", content_type="image/png")

    response = post_logo(admin_client, form_data, text)

    assert response.status_code == 200
    assert "valid image" in response.text
    assert not ClinicProfile.objects.get().logo
