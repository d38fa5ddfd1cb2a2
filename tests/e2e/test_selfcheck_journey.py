"""A visitor takes the self-check, with and without JavaScript."""

import pytest
from playwright.sync_api import expect

from leads.models import Lead
from tests.e2e.accessibility import assert_no_axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_fill_time(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0


def answer_all(page, questions, choice="Not at all"):
    for legend in questions:
        group = page.get_by_role("group", name=legend)
        group.get_by_label(choice, exact=True).check()


def take_phq9(page, site, item_9):
    page.goto(site + "/")
    page.get_by_role("link", name="A private self-check").click()
    page.context.clear_cookies()  # the home page's own cookies are not ours here
    page.get_by_role("link", name="PHQ-9: nine questions about depression").click()
    expect(page.get_by_text("Over the last 2 weeks")).to_be_visible()
    fieldsets = page.locator("fieldset.selfcheck-item")
    expect(fieldsets).to_have_count(9)
    for index in range(8):
        fieldsets.nth(index).get_by_label("Several days", exact=True).check()
    fieldsets.nth(8).get_by_label(item_9, exact=True).check()
    page.get_by_role("button", name="See my result").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "no-js"])
def test_a_visitor_sees_their_score_and_what_it_means(browser, site, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()

    take_phq9(page, site, item_9="Not at all")

    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    expect(page.get_by_text("PHQ-9: 8 out of 27")).to_be_visible()
    expect(page.get_by_text("mild", exact=True)).to_be_visible()
    expect(page.get_by_text("This is not a diagnosis.")).to_be_visible()
    assert context.cookies() == []
    if javascript:
        assert_no_axe_violations(page)
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "no-js"])
def test_thoughts_of_self_harm_put_crisis_help_above_the_score(
    browser, site, javascript
):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()

    take_phq9(page, site, item_9="Several days")

    crisis = page.get_by_role("heading", name="Please reach out now")
    expect(crisis).to_be_visible()
    score = page.get_by_text("PHQ-9: 9 out of 27")
    assert crisis.bounding_box()["y"] < score.bounding_box()["y"]
    expect(page.get_by_role("link", name="988").first).to_be_visible()
    context.close()


def test_the_questionnaire_passes_axe(page, site):
    page.goto(site + "/self-check/?check=both")

    expect(page.locator("fieldset.selfcheck-item")).to_have_count(16)
    assert_no_axe_violations(page)


def test_an_unanswered_question_is_named_and_linked(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/self-check/?check=gad7")

    page.get_by_role("button", name="See my result").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please choose an answer for question 1.")
    expect(alert).to_contain_text("Please choose an answer for question 7.")
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "no-js"])
def test_a_visitor_attaches_their_result_to_a_consultation_request(
    browser, site, javascript
):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    take_phq9(page, site, item_9="Not at all")

    page.get_by_role(
        "button", name="Attach my result to a consultation request"
    ).click()

    expect(page).to_have_url(site + "/contact/attach/")
    attached = page.get_by_role("region", name="Your self-check result")
    expect(attached).to_contain_text("PHQ-9: 8 out of 27 (mild)")
    assert not Lead.objects.exists()
    if javascript:  # axe is a script: it cannot run in a page without one
        assert_no_axe_violations(page)
    form = page.locator("main form")
    form.get_by_label("Full name").fill("Jordan Lee")
    form.get_by_label("Email address").fill("jordan@example.com")
    form.get_by_label("Store my self-check scores").check()
    form.get_by_label("I agree that the clinic may contact me").check()
    form.get_by_role("button", name="Request my consultation").click()

    expect(page).to_have_url(site + "/contact/thanks/")
    lead = Lead.objects.get()
    assert lead.self_check["scores"] == [
        {"instrument": "PHQ-9", "total": 8, "band": "mild"}
    ]
    assert not lead.is_urgent
    context.close()
