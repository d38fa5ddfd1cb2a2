"""make run's set-up commands: demo content and the local admin login."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.flatpages.models import FlatPage
from django.core.management import call_command

from blog.models import Post
from core.models import ClinicProfile

pytestmark = pytest.mark.django_db

SITE_PAGES = {"/about/", "/privacy/", "/medical-disclaimer/", "/accessibility/"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def snapshot():
    return (
        list(FlatPage.objects.values_list("url", "title", "content").order_by("url")),
        list(Post.objects.values_list("slug", "title", "updated_at").order_by("slug")),
        ClinicProfile.objects.count(),
    )


def test_demo_content_fills_the_site(client):
    call_command("load_demo_content", stdout=io.StringIO())

    assert set(FlatPage.objects.values_list("url", flat=True)) >= SITE_PAGES
    assert Post.objects.published().count() >= 5
    assert ClinicProfile.objects.count() == 1
    for url in SITE_PAGES:
        assert client.get(url).status_code == 200


def test_loading_demo_content_twice_changes_nothing():
    call_command("load_demo_content", stdout=io.StringIO())
    first = snapshot()

    call_command("load_demo_content", stdout=io.StringIO())

    assert snapshot() == first


def test_demo_content_keeps_pages_that_staff_edited():
    call_command("load_demo_content", stdout=io.StringIO())
    FlatPage.objects.filter(url="/about/").update(content="<p>Our own words.</p>")

    call_command("load_demo_content", stdout=io.StringIO())

    assert FlatPage.objects.get(url="/about/").content == "<p>Our own words.</p>"


def test_local_admin_login_is_created_once_with_a_printed_password(settings, capsys):
    settings.DEBUG = True

    call_command("create_local_admin")
    first_output = capsys.readouterr().out
    call_command("create_local_admin")
    second_output = capsys.readouterr().out

    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    password = first_output.split("password: ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
    assert password not in second_output


def test_local_admin_login_is_refused_outside_debug(settings):
    settings.DEBUG = False

    with pytest.raises(Exception, match="DJANGO_DEBUG"):
        call_command("create_local_admin")


def test_a_real_deployment_can_load_the_site_pages_without_demo_posts():
    call_command("load_demo_content", "--no-posts", stdout=io.StringIO())

    assert set(FlatPage.objects.values_list("url", flat=True)) >= SITE_PAGES
    assert not Post.objects.exists()
