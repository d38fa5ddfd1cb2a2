"""A post about suicide, self-harm or overdose opens with a crisis box."""

import pytest

from blog.models import Post
from core.models import ClinicProfile

pytestmark = pytest.mark.django_db

CRISIS_BODY = "## Safety\n\nSome people with depression have thoughts of suicide."


@pytest.mark.parametrize(
    "field,text",
    [
        ("body", CRISIS_BODY),
        ("title", "Ketamine and self-harm urges"),
        ("summary", "What to do after an overdose."),
    ],
)
def test_a_post_mentioning_crisis_shows_the_box_automatically(make_post, field, text):
    post = make_post(**{field: text})

    assert post.crisis_box == Post.CrisisBox.AUTOMATIC
    assert Post.objects.get(pk=post.pk).shows_crisis_box


def test_an_ordinary_post_shows_no_box(make_post):
    assert not make_post().shows_crisis_box


def test_editors_can_always_show_the_box(make_post):
    post = make_post(crisis_box=Post.CrisisBox.ALWAYS)

    assert Post.objects.get(pk=post.pk).shows_crisis_box


def test_editors_can_turn_the_automatic_box_off(make_post):
    post = make_post(body=CRISIS_BODY, crisis_box=Post.CrisisBox.NEVER)

    assert not Post.objects.get(pk=post.pk).shows_crisis_box


def test_saving_only_the_body_decides_again(make_post):
    post = make_post()
    post.body = CRISIS_BODY
    post.save(update_fields=["body"])

    assert Post.objects.get(pk=post.pk).shows_crisis_box


def test_saving_unrelated_fields_keeps_the_decision(make_post):
    post = make_post(body=CRISIS_BODY)
    Post.objects.filter(pk=post.pk).update(shows_crisis_box=False)
    post.refresh_from_db()
    post.view_count = 3
    post.save(update_fields=["view_count"])

    assert not Post.objects.get(pk=post.pk).shows_crisis_box


def test_the_post_page_opens_with_the_crisis_box(client, make_post):
    post = make_post(body=CRISIS_BODY)
    profile = ClinicProfile.current()
    profile.crisis_box_text = "You matter, and help is here tonight."
    profile.save()

    html = client.get(post.get_absolute_url()).content.decode()

    box = html.index('class="crisis-box')
    assert box < html.index("Some people with depression")
    assert "You matter, and help is here tonight." in html
    assert 'href="tel:988"' in html[box:]
    assert 'href="tel:911"' in html[box:]
    assert f'href="{profile.phone_href}"' in html[box:]


def test_the_box_uses_the_default_wording(client, make_post):
    post = make_post(crisis_box=Post.CrisisBox.ALWAYS)

    response = client.get(post.get_absolute_url())

    assert "you don&#x27;t have to wait for an appointment" in response.content.decode()


def test_an_ordinary_post_page_has_no_crisis_box(client, post):
    html = client.get(post.get_absolute_url()).content.decode()

    assert 'class="crisis-box' not in html


def test_the_admin_offers_the_crisis_box_choice(admin_client, post):
    html = admin_client.get(f"/admin/blog/post/{post.pk}/change/").content.decode()

    assert 'name="crisis_box"' in html
    assert "Automatic shows it when the title" in html
