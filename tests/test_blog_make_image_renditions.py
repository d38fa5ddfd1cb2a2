"""manage.py make_image_renditions: images uploaded before renditions get them."""

from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command

from blog.models import Author, Post
from core.models import ClinicProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def uploaded_before(image_upload, make_post):
    """A hero, an author photo and a logo stored with no renditions."""
    author = Author.objects.create(
        display_name="Dr. Rivera", slug="dr-rivera", photo=image_upload(300, 300)
    )
    make_post(author=author, hero_image=image_upload(900, 500), hero_image_alt="Sea")
    profile = ClinicProfile.current()
    profile.logo = image_upload(300, 100, name="logo.png")
    profile.save()
    Post.objects.update(hero_image_renditions={})
    Author.objects.update(photo_renditions={})
    ClinicProfile.objects.update(logo_renditions={})


def run():
    out = StringIO()
    call_command("make_image_renditions", stdout=out, stderr=out)
    return out.getvalue()


def test_every_image_without_renditions_gets_them(uploaded_before):
    output = run()

    assert "Made renditions of 3 image(s)." in output
    assert Post.objects.get().hero_image_renditions["files"]
    assert Author.objects.get().photo_renditions["files"]
    assert ClinicProfile.objects.get().logo_renditions["files"]


def test_the_renditions_it_makes_are_stored_files(uploaded_before):
    run()

    names = [f["name"] for f in Author.objects.get().photo_renditions["files"]]
    assert names
    assert all(default_storage.exists(name) for name in names)


def test_a_second_run_makes_nothing(uploaded_before):
    run()
    before = Post.objects.get().hero_image_renditions

    output = run()

    assert "Made renditions of 0 image(s)." in output
    assert Post.objects.get().hero_image_renditions == before


def test_a_backfill_leaves_the_post_update_time_alone(uploaded_before):
    updated_at = Post.objects.get().updated_at

    run()

    assert Post.objects.get().updated_at == updated_at


def test_an_image_gone_from_the_disk_is_reported_and_the_rest_made(uploaded_before):
    default_storage.delete(Author.objects.get().photo.name)

    output = run()

    assert "Made renditions of 2 image(s)." in output
    assert "1 image(s) could not be read." in output
    assert Author.objects.get().photo_renditions == {}
