import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from blog.models import Author, Post
from leads.models import Lead, Subscriber


@pytest.fixture(autouse=True)
def _journey_settings(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False


@pytest.fixture
def published_post(transactional_db):
    author = Author.objects.create(display_name="Clinical Team", slug="clinical-team")
    return Post.objects.create(
        title="What a course of ketamine treatment looks like",
        slug="course-of-treatment",
        summary="Six sessions, screening first.",
        body="## Screening\n\nEvery plan starts with a medical screening.",
        author=author,
        status=Post.Status.PUBLISHED,
    )


def test_reader_requests_a_consultation_from_a_post(page, site, published_post):
    page.goto(f"{site}/blog/{published_post.slug}/")
    page.get_by_role("link", name="Request a consultation").last.click()

    expect(page).to_have_url(re.compile(r"/contact/\?post=course-of-treatment$"))
    form = page.locator("main form")
    form.get_by_label("Full name").fill("Jordan Lee")
    form.get_by_label("Email address").fill("jordan@example.com")
    form.get_by_label("Phone number (optional)").fill("(415) 555-2671")
    form.get_by_label("Phone call").check()
    form.get_by_label("Depression").check()
    form.get_by_label("I agree that the clinic may contact me").check()
    form.get_by_role("button", name="Request my consultation").click()

    expect(page).to_have_url(f"{site}/contact/thanks/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you for reaching out"
    )
    lead = Lead.objects.get()
    assert lead.source_post == published_post
    assert lead.phone == "+14155552671"


def test_reader_signs_up_in_the_footer_and_confirms_by_email(page, site, smtp_server):
    page.goto(f"{site}/")
    footer = page.locator("footer")
    footer.get_by_label("Email address").fill("reader@example.com")
    footer.get_by_label("Weekly digest").check()
    footer.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    [message] = smtp_server.to("reader@example.com")
    text = message.get_body(preferencelist=("plain",)).get_content()
    confirm_url = re.search(rf"{re.escape(site)}/subscribe/confirm/\S+", text).group(0)
    page.goto(confirm_url)
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    page.get_by_role("button", name="Confirm my subscription").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You're subscribed")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.frequency == Subscriber.Frequency.WEEKLY
    assert subscriber.source_path == "/"
