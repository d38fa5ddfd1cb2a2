"""A reader finds a post, likes it and comments; staff approve the comment."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from blog.models import Topic
from tests.e2e.accessibility import assert_no_axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

STAFF_PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(autouse=True)
def _no_fill_time(settings):
    """A scripted reader likes and comments faster than a person would."""
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0


@pytest.fixture
def journey_post(make_post):
    topic = Topic.objects.get_or_create(
        slug="depression", defaults={"name": "Depression"}
    )[0]
    make_post(title="An older article")
    return make_post(
        title="How ketamine works in the brain",
        summary="A plain-language guide to glutamate and the NMDA receptor.",
        body="## Glutamate\n\nKetamine works mostly through glutamate.",
        topics=[topic],
    )


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_superuser(
        "editor", "editor@clinic.example", STAFF_PASSWORD
    )


def test_reader_likes_and_comments_and_staff_approve_the_comment(
    site, page, journey_post, staff_user
):
    page.goto(site + "/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Blog"
    ).last.click()
    expect(page).to_have_url(site + "/blog/")
    page.get_by_role("link", name=journey_post.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(journey_post.title)

    page.get_by_role("button", name="This was helpful").click()
    expect(page.locator("[data-like-count]")).to_have_text("1 like")
    expect(page.get_by_role("button", name="You found this helpful")).to_be_disabled()

    page.get_by_label("Your name").fill("Maria")
    page.get_by_role("textbox", name="Email (never shown)").fill("maria@example.com")
    page.get_by_role("textbox", name="Comment").fill(
        "Thank you, this made the screening step much clearer to me."
    )
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("awaiting moderation")).to_be_visible()
    expect(page.locator("#comments")).not_to_contain_text("screening step much clearer")

    page.goto(
        site + "/admin/login/?next=/admin/blog/comment/%3Fstatus__exact%3Dpending"
    )
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    row = page.get_by_role("row").filter(has_text="Maria")
    row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name=re.compile("Action")).select_option("approve")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Approved 1 comment(s).")).to_be_visible()

    page.goto(site + journey_post.get_absolute_url())
    comments = page.locator("#comments")
    expect(comments).to_contain_text("Maria")
    expect(comments).to_contain_text("screening step much clearer")
    expect(page.get_by_text("1 like").first).to_be_visible()


def test_a_post_about_suicide_opens_with_an_accessible_crisis_box(
    site, page, make_post
):
    post = make_post(
        title="When depression brings thoughts of suicide",
        body="## You are not alone\n\nThoughts of suicide are a symptom.",
    )

    page.goto(site + post.get_absolute_url())

    box = page.get_by_role("complementary", name="If you are struggling right now")
    expect(box).to_be_visible()
    expect(box.get_by_role("link", name="988")).to_have_attribute("href", "tel:988")
    expect(box.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    body = page.get_by_text("Thoughts of suicide are a symptom.")
    assert box.bounding_box()["y"] < body.bounding_box()["y"]
    assert_no_axe_violations(page)
