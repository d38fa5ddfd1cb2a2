"""A visitor reads about treatments and prices, then the FAQ."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from care.demo import load_demo_care
from tests.e2e.accessibility import assert_no_axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_visitor_goes_from_home_to_a_treatment_and_the_faq(site, page):
    load_demo_care()
    console_errors, other_hosts = [], set()
    page.on(
        "console",
        lambda message: message.type == "error" and console_errors.append(message.text),
    )
    page.on(
        "request",
        lambda request: (
            urlsplit(request.url).netloc != urlsplit(site).netloc
            and other_hosts.add(request.url)
        ),
    )

    page.goto(site + "/")
    page.get_by_role("link", name="Treatments", exact=True).first.click()
    expect(page.get_by_role("heading", name="Treatments and prices")).to_be_visible()
    expect(page.get_by_text("$450 per session")).to_be_visible()
    expect(page.get_by_text("$650–$900")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Esketamine (Spravato) nasal spray").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Esketamine (Spravato) nasal spray"
    )
    expect(page.get_by_text("from $900")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Ask for a Good Faith Estimate")
    ).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="FAQ", exact=True).first.click()
    expect(page.get_by_role("heading", name="Cost and insurance")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Can I drive home after a session?")
    ).to_be_visible()
    assert_no_axe_violations(page)

    assert not [e for e in console_errors if "Content Security Policy" in e]
    assert console_errors == []
    assert other_hosts == set()


def test_visitor_finds_a_location_with_its_hours_and_map_link(site, page):
    load_demo_care()
    page.goto(site + "/")

    page.get_by_role("link", name="All locations, hours and directions").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Downtown Springfield").first.click()

    expect(page).to_have_url(site + "/locations/downtown-springfield/")
    expect(page.get_by_text("Opening hours")).to_be_visible()
    expect(page.get_by_role("link", name="Map and directions")).to_be_visible()
    assert_no_axe_violations(page)
