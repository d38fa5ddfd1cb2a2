"""Every form on a cached page works in a real browser, with and without
JavaScript, with no cookie on the GET; a cross-site post is refused."""

import pytest
from playwright.sync_api import expect

from blog.models import Comment
from core.models import ClinicProfile
from leads.models import Lead, Subscriber

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _journey_settings(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False


@pytest.fixture
def cached_post(make_post, site):
    ClinicProfile.current()
    return make_post(title="What a first session is like")


@pytest.fixture
def no_js_page(browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_a_cached_post_sets_no_cookie_and_its_forms_work_without_javascript(
    no_js_page, site, cached_post
):
    page = no_js_page
    url = site + cached_post.get_absolute_url()
    page.goto(url)
    response = page.goto(url)

    # The second visit is revalidated with the page's ETag (a 304).
    assert response.headers.get("etag")
    assert page.context.cookies() == []

    page.get_by_role("button", name="This was helpful").click()
    expect(page.get_by_text("Thanks for liking this post.")).to_be_visible()
    page.context.clear_cookies()

    page.goto(url)
    page.get_by_label("Your name").fill("Maria")
    page.get_by_role("textbox", name="Email (never shown)").fill("maria@example.com")
    page.get_by_role("textbox", name="Comment").fill("Clear and kind, thank you.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("awaiting moderation")).to_be_visible()
    page.context.clear_cookies()

    page.goto(url)
    footer = page.locator("footer")
    footer.get_by_label("Email address").fill("reader@example.com")
    footer.get_by_label("Weekly digest").check()
    footer.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    cached_post.refresh_from_db()
    assert cached_post.like_count == 1
    assert Comment.objects.filter(name="Maria").exists()
    assert Subscriber.objects.filter(email="reader@example.com").exists()


def test_first_touch_attribution_reaches_the_lead_without_a_cookie(
    page, site, cached_post
):
    page.goto(site + "/blog/?utm_source=radio&utm_campaign=spring")
    assert page.context.cookies() == []
    page.goto(site + cached_post.get_absolute_url())
    page.goto(site + "/contact/")

    form = page.locator("main form")
    form.get_by_label("Full name").fill("Jordan Lee")
    form.get_by_label("Email address").fill("jordan@example.com")
    form.get_by_label("Phone number (optional)").fill("(415) 555-2671")
    form.get_by_label("Phone call").check()
    form.get_by_label("Depression").check()
    form.get_by_label("I agree that the clinic may contact me").check()
    form.get_by_role("button", name="Request my consultation").click()
    expect(page).to_have_url(f"{site}/contact/thanks/")

    lead = Lead.objects.get()
    assert lead.landing_page == "/blog/"
    assert lead.utm_source == "radio"
    assert lead.utm_campaign == "spring"


def test_a_form_posted_from_another_site_is_refused(page, site, cached_post):
    page.goto("about:blank")
    page.set_content(
        f'<form method="post" action="{site}/subscribe/">'
        '<input name="email" value="victim@example.com">'
        '<input name="frequency" value="weekly">'
        '<button type="submit">Go</button></form>'
    )

    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()

    expect(page.get_by_text("Your form could not be sent")).to_be_visible()
    assert not Subscriber.objects.exists()
